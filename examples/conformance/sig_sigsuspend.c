// sig_sigsuspend: sigsuspend() waits with a temporary mask until a child's signal arrives.
// conformance: replayed
#include "conformance.h"
static volatile sig_atomic_t got;
static void on_usr1(int sig) { got = sig; }
int main(void) {
    CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR);
    sigset_t block, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &block, &wait_mask) == 0);
    pid_t parent = getpid();
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) { sleep_ms(50); kill(parent, SIGUSR1); _exit(0); }
    sigdelset(&wait_mask, SIGUSR1);
    while (!got) CHECK(sigsuspend(&wait_mask) == -1 && errno == EINTR);
    expect_exit(c, 0);
    sigset_t now;
    CHECK(sigprocmask(SIG_BLOCK, NULL, &now) == 0 && sigismember(&now, SIGUSR1) == 1);
    printf("sig_sigsuspend: woken by SIGUSR1, mask restored\n");
    return 0;
}
