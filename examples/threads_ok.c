// threads_ok: several threads make syscalls and everything exits normally (status 0).
// Recording it must neither hang nor write a bundle.
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define ITERATIONS 2000

static void *worker(void *arg) {
    long id = (long)arg;
    int fd = open("/dev/null", O_WRONLY);
    struct timespec ts, pause = {0, 1000 * 1000};  // 1 ms
    unsigned long sum = 0;
    for (int i = 0; i < ITERATIONS; i++) {
        sum += (unsigned long)getppid();
        if (fd >= 0) (void)!write(fd, "y", 1);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if (i % 200 == 0) nanosleep(&pause, NULL);
    }
    if (fd >= 0) close(fd);
    return (void *)(sum + (unsigned long)id);
}

int main(void) {
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++) {
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
            fprintf(stderr, "threads_ok: pthread_create failed\n");
            return 2;
        }
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("threads_ok: %d threads done\n", THREADS);
    return 0;
}
