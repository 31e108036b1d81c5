// thread_switches: two threads spin without syscalls and, after each stretch of spinning,
// call note(), which records who came last; main crashes at an address taken from the last
// note. Recorded on one CPU, the kernel switches between the spinners in the middle of their
// loops (preemptions in user mode), so a debugger that goes back from the crash to the last
// note() crosses thread switches that only the recorded schedule places.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define ROUNDS 6
#define SPIN 3000000UL

static volatile unsigned long last_note, notes_hash = 1469598103934665603UL;

__attribute__((noinline)) static void note(long id, long round) {
    last_note = (unsigned long)(id * 100 + round);
    notes_hash = (notes_hash ^ last_note) * 1099511628211UL;
}

static void *worker(void *arg) {
    long id = (long)(intptr_t)arg;
    for (long round = 0; round < ROUNDS; round++) {
        volatile unsigned long spin = 0;
        for (unsigned long i = 0; i < SPIN; i++) spin += i ^ (unsigned long)id;
        note(id, round);
    }
    return NULL;
}

int main(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, worker, (void *)1);
    pthread_create(&b, NULL, worker, (void *)2);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (notes_hash % 4096) * 8);
    printf("thread_switches: last note %lu, hash %lx, writing to %p\n", last_note, notes_hash, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
