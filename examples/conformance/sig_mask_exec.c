// sig_mask_exec: a blocked signal stays blocked, and an ignored one ignored, across execve().
// conformance: replayed
#include "conformance.h"
int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "after-exec") == 0) {
        sigset_t now;
        CHECK(sigprocmask(SIG_BLOCK, NULL, &now) == 0);
        CHECK(sigismember(&now, SIGUSR1) == 1);
        CHECK(sigismember(&now, SIGUSR2) == 0);
        struct sigaction sa;
        CHECK(sigaction(SIGTERM, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN);
        printf("sig_mask_exec: SIGUSR1 still blocked and SIGTERM ignored after execve\n");
        return 0;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    CHECK(signal(SIGTERM, SIG_IGN) != SIG_ERR);
    char *args[] = {argv[0], "after-exec", NULL};
    execv("/proc/self/exe", args);
    CHECK(!"execv failed");
}
