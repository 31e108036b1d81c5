// ppoll_mask: ppoll() with a timeout, then with a mask that lets a pending signal in (EINTR).
// conformance: replayed
#include "conformance.h"
#include <poll.h>
static volatile sig_atomic_t got;
static void on_usr2(int sig) { got = sig; }
int main(void) {
    CHECK(signal(SIGUSR2, on_usr2) != SIG_ERR);
    int p[2];
    CHECK(pipe(p) == 0);
    struct pollfd f = {.fd = p[0], .events = POLLIN};
    struct timespec ts = {0, 10 * 1000000L};
    CHECK(ppoll(&f, 1, &ts, NULL) == 0);
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigemptyset(&empty);
    CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0);
    CHECK(raise(SIGUSR2) == 0);
    ts.tv_sec = 5;
    CHECK(ppoll(&f, 1, &ts, &empty) == -1 && errno == EINTR);
    CHECK(got == SIGUSR2);
    printf("ppoll_mask: timeout, then EINTR\n");
    return 0;
}
