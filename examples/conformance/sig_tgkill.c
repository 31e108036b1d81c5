// sig_tgkill: tgkill() to the calling thread; the handler sees si_code SI_TKILL.
// conformance: replayed
#include "conformance.h"
static volatile sig_atomic_t code = 1;
static void on_usr1(int sig, siginfo_t *si, void *uc) { (void)sig; (void)uc; code = si->si_code; }
int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    CHECK(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1) == 0);
    CHECK(code == SI_TKILL);
    printf("sig_tgkill: si_code %d (SI_TKILL)\n", (int)code);
    return 0;
}
