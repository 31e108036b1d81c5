// mprotect: a page made read-only faults on write (caught, SEGV_ACCERR), writable again after.
// conformance: replayed
#include "conformance.h"
#include <setjmp.h>
static sigjmp_buf env;
static volatile int code;
static void on_segv(int sig, siginfo_t *si, void *uc) { (void)sig; (void)uc; code = si->si_code; siglongjmp(env, 1); }
int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
    volatile char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    m[0] = 'a';
    new_window();
    CHECK(mprotect((void *)m, 4096, PROT_READ) == 0);
    if (sigsetjmp(env, 1) == 0) { m[0] = 'b'; CHECK(!"no fault"); }
    CHECK(code == SEGV_ACCERR);
    CHECK(mprotect((void *)m, 4096, PROT_READ | PROT_WRITE) == 0);
    m[0] = 'c';
    CHECK(m[0] == 'c');
    printf("mprotect: write to a read-only page faulted with SEGV_ACCERR\n");
    return 0;
}
