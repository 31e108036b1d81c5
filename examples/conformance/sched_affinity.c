// sched_affinity: sched_getaffinity, pin to one allowed CPU, sched_getcpu agrees.
// conformance: replayed
#include "conformance.h"
#include <sched.h>
int main(void) {
    cpu_set_t set;
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
    int count = CPU_COUNT(&set), first = -1;
    CHECK(count >= 1);
    for (int i = 0; i < CPU_SETSIZE; i++) if (CPU_ISSET(i, &set)) { first = i; break; }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
    CHECK(sched_getcpu() == first);
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) == 1);
    CHECK(sched_yield() == 0);
    printf("sched_affinity: %d CPUs allowed, pinned to %d\n", count, first);
    return 0;
}
