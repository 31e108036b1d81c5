// vfork_child_state: a vfork child changes its own ptrace-visible state (signal mask,
// dispositions, process group) before _exit; the parent's state is untouched.
// conformance: replayed
#include "conformance.h"
int main(void) {
    pid_t c = vfork();
    CHECK(c >= 0);
    if (c == 0) {
        sigset_t set;
        sigfillset(&set);
        sigprocmask(SIG_BLOCK, &set, NULL);
        setpgid(0, 0);
        _exit(getpgid(0) == getpid() ? 6 : 1);
    }
    expect_exit(c, 6);
    sigset_t now;
    CHECK(sigprocmask(SIG_BLOCK, NULL, &now) == 0 && sigismember(&now, SIGUSR1) == 0);
    CHECK(getpgid(0) != c);
    printf("vfork_child_state: child %d changed its own mask and group\n", c);
    return 0;
}
