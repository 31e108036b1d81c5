// alarm: alarm(1) delivers SIGALRM to a handler while the program waits in pause().
// conformance: replayed
#include "conformance.h"
static volatile sig_atomic_t got;
static void on_alrm(int sig) { got = sig; }
int main(void) {
    CHECK(signal(SIGALRM, on_alrm) != SIG_ERR);
    CHECK(alarm(1) == 0);
    CHECK(alarm(1) == 1);  // the previous alarm had about 1 s left
    while (!got) pause();
    printf("alarm: SIGALRM after 1 s\n");
    return 0;
}
