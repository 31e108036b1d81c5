// timerfd: a periodic timerfd expires three times; read() returns the expiration count.
// conformance: replayed
#include "conformance.h"
#include <sys/timerfd.h>
int main(void) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    CHECK(fd >= 0);
    struct itimerspec its = {{0, 10 * 1000000L}, {0, 10 * 1000000L}};
    CHECK(timerfd_settime(fd, 0, &its, NULL) == 0);
    uint64_t total = 0, n;
    while (total < 3) { CHECK(read(fd, &n, sizeof n) == sizeof n); CHECK(n >= 1); total += n; }
    struct itimerspec cur;
    CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_interval.tv_nsec == 10 * 1000000L);
    close(fd);
    printf("timerfd: %llu expirations\n", (unsigned long long)total);
    return 0;
}
