// pselect_mask: pselect() atomically unblocks a pending signal, which interrupts it (EINTR).
// conformance: replayed
#include "conformance.h"
#include <sys/select.h>
static volatile sig_atomic_t got;
static void on_usr1(int sig) { got = sig; }
int main(void) {
    CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR);
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0);
    CHECK(raise(SIGUSR1) == 0);
    CHECK(got == 0);
    int p[2];
    CHECK(pipe(p) == 0);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timespec ts = {5, 0};
    CHECK(pselect(p[0] + 1, &rd, NULL, NULL, &ts, &empty) == -1 && errno == EINTR);
    CHECK(got == SIGUSR1);
    printf("pselect_mask: the pending signal interrupted pselect\n");
    return 0;
}
