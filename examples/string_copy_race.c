// string_copy_race: two threads copy into one shared buffer with `rep movsb`, one forwards
// and one backwards, 3000 times each; after each copy a thread folds bytes of the buffer into
// its hash, and the crash address comes from both hashes.
//
// The threads share one CPU when recorded, so the kernel switches between them part-way
// through a copy: the preempted thread's rip is on the string instruction with rcx, rsi and
// rdi part-way. Where each switch landed decides which thread's bytes end up where; replay
// must switch after the recorded number of iterations, or the hash, and the address, differ.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIZE (256 << 10)
#define COPIES 3000

static char *shared;
static unsigned long hashes[3];

static __attribute__((noinline)) void forward(char *dst, const char *src, size_t n) {
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static __attribute__((noinline)) void backward(char *dst, const char *src, size_t n) {
    dst += n - 1, src += n - 1;
    __asm__ volatile("std\nrep movsb\ncld" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static void *copier(void *arg) {
    long id = (long)arg;
    char *own = malloc(SIZE);
    if (!own) abort();
    for (size_t i = 0; i < SIZE; i++) own[i] = (char)(id * 31 + i % 251);
    unsigned long hash = 1469598103934665603UL;
    for (int i = 0; i < COPIES; i++) {  // no syscalls in here
        if (id == 1) forward(shared, own, SIZE);
        else backward(shared, own, SIZE);
        for (size_t at = (size_t)i * 7919 % 4096; at < SIZE; at += 4096)  // what the other thread left
            hash = (hash ^ (unsigned char)shared[at]) * 1099511628211UL;
    }
    hashes[id] = hash;
    return NULL;
}

int main(void) {
    shared = calloc(1, SIZE);
    if (!shared) abort();
    pthread_t a, b;
    pthread_create(&a, NULL, copier, (void *)1L);
    pthread_create(&b, NULL, copier, (void *)2L);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    unsigned long hash = hashes[1] ^ hashes[2];
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (hash % 4096) * 8);
    printf("string_copy_race: hash %lx, writing to %p\n", hash, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
