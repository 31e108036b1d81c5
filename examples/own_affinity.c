// own_affinity: the program moves itself onto every CPU (sched_setaffinity), runs a thread,
// then crashes at a fixed address.
//
// Recorded, its threads no longer share the one recording CPU: they may run side by side, and
// where they interleave is then not in the log. The bundle must say so (recording.schedule
// "syscalls" and a warning) instead of claiming a full schedule.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static volatile unsigned long spun;

static void *spin(void *arg) {
    (void)arg;
    for (unsigned long i = 0; i < 1000000UL; i++) spun++;
    return NULL;
}

int main(void) {
    cpu_set_t all;
    CPU_ZERO(&all);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    for (long c = 0; c < cpus && c < CPU_SETSIZE; c++) CPU_SET(c, &all);
    if (sched_setaffinity(0, sizeof all, &all) != 0) return 2;
    pthread_t t;
    pthread_create(&t, NULL, spin, NULL);
    pthread_join(t, NULL);
    printf("own_affinity: on %ld CPUs, writing to %p\n", cpus, (void *)0x40);
    fflush(stdout);
    *(volatile int *)(uintptr_t)0x40 = 1;  // SIGSEGV here
    return 0;
}
