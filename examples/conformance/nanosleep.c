// nanosleep: a 30 ms nanosleep takes at least 30 ms of CLOCK_MONOTONIC.
// conformance: replayed
#include "conformance.h"
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(void) {
    double t0 = now();
    struct timespec req = {0, 30 * 1000000L}, rem;
    CHECK(nanosleep(&req, &rem) == 0);
    double dt = now() - t0;
    CHECK(dt >= 0.030 && dt < 5);
    printf("nanosleep: slept %.3f s\n", dt);
    return 0;
}
