// vdso_time: the crash address is computed from clock values read through the vDSO.
//
// clock_gettime and gettimeofday normally never enter the kernel (the vDSO answers
// them in user space), so a recorder that only sees syscalls would miss them.
// The loop reads both a few thousand times; the last values pick the crash address.
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

int main(void) {
    struct timespec ts = {0};
    struct timeval tv = {0};
    uint64_t acc = 0;
    for (int i = 0; i < 5000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        gettimeofday(&tv, NULL);
        acc = acc * 31 + (uint64_t)(ts.tv_nsec ^ tv.tv_usec);
    }
    unsigned index = (unsigned)((acc ^ (uint64_t)ts.tv_nsec ^ (uint64_t)tv.tv_usec) % 4096);
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + index * 8);
    printf("vdso_time: last monotonic %ld.%09ld, wall usec %ld, writing to %p\n",
           (long)ts.tv_sec, (long)ts.tv_nsec, (long)tv.tv_usec, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
