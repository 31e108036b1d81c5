// threads: a worker thread crashes while the main thread waits in pthread_join.
//
// Usage: threads FILE
// The worker reads FILE, sleeps a little (nanosleep), reads the clock and crashes
// at an address derived from the file's bytes. The whole process dies of SIGSEGV.
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static const char *path;

static void *worker(void *arg) {
    (void)arg;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        return NULL;
    }
    unsigned char buf[512];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    struct timespec pause = {0, 10 * 1000 * 1000};  // 10 ms
    nanosleep(&pause, NULL);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint32_t hash = 2166136261u;
    for (ssize_t i = 0; i < n; i++)
        hash = (hash ^ buf[i]) * 16777619u;
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (hash % 4096) * 8);
    printf("threads: worker read %zd bytes, writing to %p\n", n, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here, in the worker thread
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    path = argv[1];
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0) {
        fprintf(stderr, "threads: pthread_create failed\n");
        return 2;
    }
    pthread_join(t, NULL);
    printf("threads: worker returned (the file could not be read)\n");
    return 1;
}
