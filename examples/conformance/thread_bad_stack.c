// thread_bad_stack: a thread cloned with an unmapped stack pointer faults at once and takes its
// process down with SIGSEGV (in a child; the parent checks the status).
// conformance: replayed
#include "conformance.h"
#include <sched.h>
static int thread_fn(void *arg) { (void)arg; return 0; }
int main(void) {
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
        clone(thread_fn, (void *)0x10000, flags, NULL);  // the stack is not mapped
        for (;;) pause();
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    printf("thread_bad_stack: child %d died of SIGSEGV\n", c);
    return 0;
}
