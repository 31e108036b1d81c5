// select_thread_interrupt: a select() in the main thread interrupted by a signal another thread sends.
// conformance: replayed
#include "conformance.h"
#include <pthread.h>
#include <sys/select.h>
static volatile sig_atomic_t got;
static void on_int(int sig) { got = sig; }
static void *sender(void *arg) { (void)arg; sleep_ms(100); kill(getpid(), SIGINT); return NULL; }
int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_int;
    CHECK(sigaction(SIGINT, &sa, NULL) == 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, sender, NULL) == 0);
    CHECK(pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0);
    int p[2];
    CHECK(pipe(p) == 0);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = {5, 0};
    CHECK(select(p[0] + 1, &rd, NULL, NULL, &tv) == -1 && errno == EINTR);
    CHECK(got == SIGINT);
    CHECK(pthread_join(t, NULL) == 0);
    printf("select_thread_interrupt: select failed with EINTR\n");
    return 0;
}
