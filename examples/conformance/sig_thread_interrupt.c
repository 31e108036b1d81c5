// sig_thread_interrupt: in a process with threads, a thread's kill(getpid(), SIGINT) interrupts
// the main thread's clock_nanosleep (handler without SA_RESTART: EINTR).
// conformance: replayed
#include "conformance.h"
#include <pthread.h>
static volatile sig_atomic_t got;
static void on_int(int sig) { got = sig; }
static void *sender(void *arg) { (void)arg; sleep_ms(100); kill(getpid(), SIGINT); return NULL; }
int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_int;
    CHECK(sigaction(SIGINT, &sa, NULL) == 0);
    sigset_t set;  // only the main thread may take SIGINT
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, sender, NULL) == 0);
    CHECK(pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0);
    struct timespec ts = {5, 0};
    int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts);
    CHECK(r == EINTR);
    CHECK(got == SIGINT);
    CHECK(pthread_join(t, NULL) == 0);
    printf("sig_thread_interrupt: clock_nanosleep interrupted, %ld s left\n", (long)ts.tv_sec);
    return 0;
}
