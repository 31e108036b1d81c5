// sig_sigchld: SIGCHLD with SA_SIGINFO reports the exited child's pid and status.
// conformance: replayed
#include "conformance.h"
static volatile sig_atomic_t child_pid, child_status, code;
static void on_chld(int sig, siginfo_t *si, void *uc) { (void)sig; (void)uc; child_pid = si->si_pid; child_status = si->si_status; code = si->si_code; }
int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) _exit(7);
    while (!child_pid) pause();
    CHECK(child_pid == c && child_status == 7 && code == CLD_EXITED);
    expect_exit(c, 7);
    printf("sig_sigchld: child %d exited 7\n", c);
    return 0;
}
