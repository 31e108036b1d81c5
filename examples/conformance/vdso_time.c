// vdso_time: clock_gettime (vDSO), gettimeofday and time() agree and move forward.
// conformance: replayed
#include "conformance.h"
#include <sys/time.h>
int main(void) {
    struct timespec m1, m2, r;
    struct timeval tv;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &m1) == 0);
    CHECK(clock_gettime(CLOCK_REALTIME, &r) == 0);
    CHECK(gettimeofday(&tv, NULL) == 0);
    time_t t = time(NULL);
    CHECK(llabs((long long)tv.tv_sec - (long long)r.tv_sec) <= 1 && llabs((long long)t - (long long)r.tv_sec) <= 1);
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 1000000; i++) x += i;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &m2) == 0);
    CHECK(m2.tv_sec > m1.tv_sec || (m2.tv_sec == m1.tv_sec && m2.tv_nsec > m1.tv_nsec));
    struct timespec res;
    CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0);
    printf("vdso_time: monotonic advanced, realtime %lld\n", (long long)t);
    return 0;
}
