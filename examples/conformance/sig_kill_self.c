// sig_kill_self: kill(getpid()) with an SA_SIGINFO handler; si_pid and si_code are the sender's.
// conformance: replayed
#include "conformance.h"
static volatile sig_atomic_t got, code, sender;
static void on_usr2(int sig, siginfo_t *si, void *uc) { (void)uc; got = sig; code = si->si_code; sender = si->si_pid; }
int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_usr2;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);
    CHECK(kill(getpid(), SIGUSR2) == 0);
    CHECK(got == SIGUSR2);
    CHECK(code == SI_USER);
    CHECK(sender == getpid());
    printf("sig_kill_self: SIGUSR2 from pid %d, si_code SI_USER\n", (int)sender);
    return 0;
}
