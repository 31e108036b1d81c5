// sig_sigwaitinfo: a blocked real-time signal queued with sigqueue() is taken by sigwaitinfo().
// conformance: replayed
#include "conformance.h"
int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    union sigval v = {.sival_int = 4242};
    CHECK(sigqueue(getpid(), SIGRTMIN + 1, v) == 0);
    siginfo_t si;
    CHECK(sigwaitinfo(&set, &si) == SIGRTMIN + 1);
    CHECK(si.si_code == SI_QUEUE);
    CHECK(si.si_value.sival_int == 4242);
    struct timespec zero = {0, 0};
    CHECK(sigtimedwait(&set, &si, &zero) == -1 && errno == EAGAIN);
    printf("sig_sigwaitinfo: value %d\n", si.si_value.sival_int);
    return 0;
}
