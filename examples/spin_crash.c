// spin_crash: two threads spin on shared counters while a third computes and then crashes at
// an address taken from where the spinners' counters stood at that moment.
//
// No thread makes a syscall between its start and the crash: only the kernel's preemptions,
// logged with the preempted thread's registers, say how far each spinner got.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

static volatile unsigned long counters[2];

static void *spinner(void *arg) {
    int id = (int)(uintptr_t)arg;
    for (;;) counters[id] += (unsigned long)id + 1;
    return NULL;
}

static void *crasher(void *arg) {
    (void)arg;
    volatile unsigned long work = 1;
    for (unsigned long i = 0; i < 30000000UL; i++) work = work * 3 + i;
    unsigned long seen = counters[0] * 3 + counters[1] + (work & 1);
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (seen % 4096) * 8);
    *bad = 1;  // SIGSEGV here, in this thread
    return NULL;
}

int main(void) {
    pthread_t a, b, c;
    pthread_create(&a, NULL, spinner, (void *)0);
    pthread_create(&b, NULL, spinner, (void *)1);
    pthread_create(&c, NULL, crasher, NULL);
    pthread_join(c, NULL);
    return 0;
}
