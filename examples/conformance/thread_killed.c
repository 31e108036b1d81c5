// thread_killed: one thread dies of a fatal signal while others run; the whole child process
// dies of it, and the parent sees the signal.
// conformance: replayed
#include "conformance.h"
#include <pthread.h>
static void *spin(void *arg) { (void)arg; for (;;) sleep_ms(10); return NULL; }
static void *die(void *arg) { (void)arg; sleep_ms(50); syscall(SYS_tgkill, getpid(), gettid(), SIGTERM); return NULL; }
int main(void) {
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        pthread_t t;
        for (int i = 0; i < 3; i++) pthread_create(&t, NULL, spin, NULL);
        pthread_create(&t, NULL, die, NULL);
        for (;;) pause();
    }
    int st;
    CHECK(waitpid(c, &st, 0) == c);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    printf("thread_killed: child %d died of SIGTERM\n", c);
    return 0;
}
