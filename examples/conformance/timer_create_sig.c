// timer_create_sig: a POSIX timer delivering a real-time signal with its sival payload.
// conformance: replayed
#include "conformance.h"
static volatile sig_atomic_t value, code;
static void on_rt(int sig, siginfo_t *si, void *uc) { (void)sig; (void)uc; value = si->si_value.sival_int; code = si->si_code; }
int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_rt;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGRTMIN, &sa, NULL) == 0);
    struct sigevent sev = {0};
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN;
    sev.sigev_value.sival_int = 77;
    timer_t t;
    CHECK(timer_create(CLOCK_MONOTONIC, &sev, &t) == 0);
    struct itimerspec its = {{0, 0}, {0, 20 * 1000000L}};
    CHECK(timer_settime(t, 0, &its, NULL) == 0);
    while (!value) pause();
    CHECK(value == 77 && code == SI_TIMER);
    CHECK(timer_delete(t) == 0);
    printf("timer_create_sig: payload %d, SI_TIMER\n", (int)value);
    return 0;
}
