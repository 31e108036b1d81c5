// long_run: syscall-heavy work for SECONDS seconds (default 20), then a crash.
//
// Usage: long_run [SECONDS]
// Each iteration computes for some tens of microseconds, calls getppid, writes one byte
// to /dev/null and reads the monotonic clock (about 40k calls per second natively: a
// window's log is bounded by time, not by the recorder's cap on calls per window). The number of iterations depends on the clock values seen,
// and the crash address depends on that number. Used to check that a recording
// keeps only the last one or two windows of log, not the whole run.
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 20.0;
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull < 0) {
        perror("/dev/null");
        return 2;
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    unsigned long iterations = 0;
    unsigned long ppid_sum = 0;
    for (;;) {
        for (volatile int k = 0; k < 400000; k = k + 1) {
        }
        ppid_sum += (unsigned long)getppid();
        if (write(devnull, "x", 1) != 1) return 2;
        clock_gettime(CLOCK_MONOTONIC, &now);
        iterations++;
        double elapsed = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
        if (elapsed >= seconds) break;
    }
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (iterations % 4096) * 8);
    printf("long_run: %lu iterations in %.1f s (ppid sum %lu), writing to %p\n",
           iterations, seconds, ppid_sum, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
