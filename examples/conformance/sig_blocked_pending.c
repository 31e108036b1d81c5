// sig_blocked_pending: a blocked signal stays pending (sigpending) and is delivered on unblock.
// conformance: replayed
#include "conformance.h"
static volatile sig_atomic_t count;
static void on_usr1(int sig) { (void)sig; count++; }
int main(void) {
    CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR);
    sigset_t set, pending, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &set, &old) == 0);
    CHECK(raise(SIGUSR1) == 0);
    CHECK(raise(SIGUSR1) == 0);  // a standard signal is pending at most once
    CHECK(count == 0);
    CHECK(sigpending(&pending) == 0);
    CHECK(sigismember(&pending, SIGUSR1) == 1);
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
    CHECK(count == 1);
    CHECK(sigpending(&pending) == 0 && sigismember(&pending, SIGUSR1) == 0);
    printf("sig_blocked_pending: delivered once on unblock\n");
    return 0;
}
