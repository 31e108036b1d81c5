// sig_rt_payload: real-time signals queue (not merge) and keep their payloads and order.
// conformance: replayed
#include "conformance.h"
static int values[8];
static volatile sig_atomic_t n;
static void on_rt(int sig, siginfo_t *si, void *uc) { (void)sig; (void)uc; values[n++] = si->si_value.sival_int; }
int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_rt;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGRTMIN + 2, &sa, NULL) == 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 2);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    for (int i = 0; i < 5; i++) CHECK(sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = 100 + i}) == 0);
    CHECK(n == 0);
    CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
    CHECK(n == 5);
    for (int i = 0; i < 5; i++) CHECK(values[i] == 100 + i);
    printf("sig_rt_payload: 5 queued signals, payloads 100..104 in order\n");
    return 0;
}
