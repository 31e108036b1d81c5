// race_hash: two threads race on shared counters without a single syscall; the crash address
// comes from how their updates interleaved.
//
// Each thread reads the shared counter, writes it back plus one, and folds what it read into a
// shared hash, with no lock: updates get lost, and the final hash depends on exactly where the
// kernel switched between the threads. Recorded, the threads share one CPU and every
// preemption is in the log with the preempted thread's registers; replay must switch at the
// same instructions of the same iterations to reach the same hash.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define ITERATIONS 20000000UL

static volatile unsigned long counter;
static volatile unsigned long hash = 1469598103934665603UL;

static void *worker(void *arg) {
    unsigned long id = (unsigned long)(uintptr_t)arg;
    for (unsigned long i = 0; i < ITERATIONS; i++) {
        unsigned long seen = counter;
        counter = seen + 1;
        hash = (hash ^ (seen * 2 + id)) * 1099511628211UL;
    }
    return NULL;
}

int main(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, worker, (void *)1);
    pthread_create(&b, NULL, worker, (void *)2);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (hash % 4096) * 8);
    printf("race_hash: counter %lu of %lu, hash %lx, writing to %p\n", counter, 2 * ITERATIONS, hash, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
