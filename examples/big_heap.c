// big_heap: a process with a large, fully written heap whose last seconds touch only a few KiB.
//
// Usage: big_heap [MIB] [SECONDS]   (defaults: 512 MiB, 4 s)
// Fills MIB MiB of heap with non-zero bytes, then for SECONDS loops over 8 KiB of it, sleeping
// 1 ms per round, and finally writes through a pointer derived from that work: SIGSEGV at an
// address below mmap_min_addr. A partial checkpoint of it must be tiny although the process is
// large (a core dump holds the whole heap).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 512;
    double seconds = argc > 2 ? atof(argv[2]) : 4;
    size_t size = mib << 20;
    unsigned char *heap = malloc(size);
    if (!heap) { perror("malloc"); return 1; }
    memset(heap, 0x5a, size);
    printf("big_heap: %zu MiB written\n", mib);
    fflush(stdout);

    unsigned long hash = 14695981039346656037UL;
    double end = now() + seconds;
    struct timespec pause = {0, 1000000};
    unsigned rounds = 0;
    while (now() < end) {
        for (size_t i = 0; i < 8192; i++) {
            heap[i] = (unsigned char)(heap[i] * 31 + rounds);
            hash = (hash ^ heap[i]) * 1099511628211UL;
        }
        rounds++;
        nanosleep(&pause, NULL);
    }
    volatile unsigned long *target = (unsigned long *)(0x1000 + (hash & 0x7ff8));
    printf("big_heap: %u rounds, writing to %p\n", rounds, (void *)target);
    fflush(stdout);
    *target = hash;
    return 0;
}
