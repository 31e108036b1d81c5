// producer_consumer: two producers and two consumers hand items through a bounded queue
// guarded by a mutex and two condition variables; the crash address comes from which consumer
// took which item, in which order.
//
// On one CPU the hand-offs follow the kernel's switches: a thread blocks in futex when the
// queue is full or empty, or is preempted while it holds the lock. Replay must make the same
// switches, at syscalls and in user mode, to give every item to the same consumer.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define ITEMS 5000
#define SLOTS 8

static unsigned long queue[SLOTS];
static int head, count, produced_done;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;
static unsigned long hashes[2] = {1469598103934665603UL, 1469598103934665603UL};

static void *producer(void *arg) {
    unsigned long id = (unsigned long)(uintptr_t)arg;
    for (unsigned long i = 0; i < ITEMS; i++) {
        unsigned long item = id << 32 | i, spin = item;
        for (int k = 0; k < 200; k++) spin = spin * 6364136223846793005UL + 1;  // work outside the lock
        pthread_mutex_lock(&lock);
        while (count == SLOTS) pthread_cond_wait(&not_full, &lock);
        queue[(head + count) % SLOTS] = item ^ (spin & 1);
        count++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&lock);
    }
    pthread_mutex_lock(&lock);
    produced_done++;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *consumer(void *arg) {
    int id = (int)(uintptr_t)arg;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (count == 0 && produced_done < 2) pthread_cond_wait(&not_empty, &lock);
        if (count == 0) {
            pthread_mutex_unlock(&lock);
            return NULL;
        }
        unsigned long item = queue[head];
        head = (head + 1) % SLOTS;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&lock);
        hashes[id] = (hashes[id] ^ item) * 1099511628211UL;
    }
}

int main(void) {
    pthread_t p[2], c[2];
    for (int i = 0; i < 2; i++) pthread_create(&c[i], NULL, consumer, (void *)(uintptr_t)i);
    for (int i = 0; i < 2; i++) pthread_create(&p[i], NULL, producer, (void *)(uintptr_t)(i + 1));
    for (int i = 0; i < 2; i++) pthread_join(p[i], NULL);
    for (int i = 0; i < 2; i++) pthread_join(c[i], NULL);
    unsigned long hash = hashes[0] * 31 + hashes[1];
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (hash % 4096) * 8);
    printf("producer_consumer: %d items, hash %lx, writing to %p\n", 2 * ITEMS, hash, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
