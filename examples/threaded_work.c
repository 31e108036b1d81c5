// threaded_work: four threads hash for a while and add into a shared total under a mutex
// every 1,000 rounds, then exit 0. examples/bench.sh runs it natively (on two CPUs, and on
// one as recorded) and recorded: what a program whose threads want more than one CPU pays.
#include <pthread.h>
#include <stdio.h>

#define THREADS 4
#define ROUNDS 100000000UL

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long total;

static void *work(void *arg) {
    unsigned long h = 1469598103934665603UL ^ (unsigned long)arg;
    for (unsigned long i = 1; i <= ROUNDS; i++) {
        h = (h ^ i) * 1099511628211UL;
        if (i % 1000 == 0) {
            pthread_mutex_lock(&lock);
            total += h;
            pthread_mutex_unlock(&lock);
        }
    }
    return NULL;
}

int main(void) {
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, work, (void *)i);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    printf("threaded_work: total %lx\n", total);
    return 0;
}
