// cpu_bound: seconds of computation without a single syscall, then a crash whose address
// comes from that computation.
//
// Usage: cpu_bound [SECONDS]   (default 5)
// The loop makes no syscalls, so windows can only start because the recorder interrupts the
// process when one falls due; otherwise the trial replay would rerun the whole computation.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 5;
    // Calibrate with syscalls first: iterations per 100 ms.
    struct timespec a, b;
    volatile unsigned long hash = 1469598103934665603UL;
    unsigned long per100ms = 0;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do {
        for (int i = 0; i < 100000; i++) hash = (hash ^ (unsigned long)i) * 1099511628211UL;
        per100ms += 100000;
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 100000000L);
    unsigned long total = (unsigned long)(per100ms * seconds * 10);
    printf("cpu_bound: %lu iterations without syscalls\n", total);
    fflush(stdout);
    for (unsigned long i = 0; i < total; i++) hash = (hash ^ i) * 1099511628211UL;  // no syscalls
    volatile unsigned long *target = (unsigned long *)(0x1000 + (hash & 0x7ff8));
    printf("cpu_bound: writing to %p\n", (void *)target);  // the only syscall after the loop
    fflush(stdout);
    *target = hash;  // SIGSEGV
    return 0;
}
