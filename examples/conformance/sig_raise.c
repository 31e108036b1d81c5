// sig_raise: a handled signal sent to itself with raise().
// conformance: replayed
#include "conformance.h"
static volatile sig_atomic_t got;
static void on_usr1(int sig) { got = sig; }
int main(void) {
    CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR);
    CHECK(raise(SIGUSR1) == 0);
    CHECK(got == SIGUSR1);
    printf("sig_raise: handler ran for signal %d\n", (int)got);
    return 0;
}
