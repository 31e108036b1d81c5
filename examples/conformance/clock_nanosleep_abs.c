// clock_nanosleep_abs: clock_nanosleep(TIMER_ABSTIME) until a monotonic deadline.
// conformance: replayed
#include "conformance.h"
int main(void) {
    struct timespec t, after;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
    t.tv_nsec += 40 * 1000000L;
    if (t.tv_nsec >= 1000000000L) { t.tv_sec++; t.tv_nsec -= 1000000000L; }
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == 0);
    CHECK(clock_gettime(CLOCK_MONOTONIC, &after) == 0);
    CHECK(after.tv_sec > t.tv_sec || (after.tv_sec == t.tv_sec && after.tv_nsec >= t.tv_nsec));
    printf("clock_nanosleep_abs: woke after the deadline\n");
    return 0;
}
