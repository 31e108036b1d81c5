// pthreads: four threads add to a counter under a mutex; joined with their results.
// conformance: replayed
#include "conformance.h"
#include <pthread.h>
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static void *work(void *arg) {
    long n = (long)arg;
    for (int i = 0; i < 1000; i++) { pthread_mutex_lock(&lock); counter += n; pthread_mutex_unlock(&lock); }
    return (void *)(n * 2);
}
int main(void) {
    pthread_t t[4];
    for (long i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, work, (void *)(i + 1)) == 0);
    for (long i = 0; i < 4; i++) { void *r; CHECK(pthread_join(t[i], &r) == 0); CHECK((long)r == (i + 1) * 2); }
    CHECK(counter == 10000);
    printf("pthreads: counter %ld\n", counter);
    return 0;
}
