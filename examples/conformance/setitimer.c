// setitimer: a periodic ITIMER_REAL delivers SIGALRM repeatedly while the program pauses.
// conformance: replayed
#include "conformance.h"
#include <sys/time.h>
static volatile sig_atomic_t ticks;
static void on_alrm(int sig) { (void)sig; ticks++; }
int main(void) {
    CHECK(signal(SIGALRM, on_alrm) != SIG_ERR);
    struct itimerval it = {{0, 20000}, {0, 20000}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    while (ticks < 3) pause();
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
    printf("setitimer: %d ticks\n", (int)ticks);
    return 0;
}
