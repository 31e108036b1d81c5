// futex: a thread waits on a futex word (FUTEX_WAIT) until the main thread wakes it.
// conformance: replayed
#include "conformance.h"
#include <linux/futex.h>
#include <pthread.h>
static _Atomic int word;
static void *waiter(void *arg) {
    (void)arg;
    while (word == 0) syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return (void *)(long)word;
}
int main(void) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, waiter, NULL) == 0);
    sleep_ms(50);
    word = 7;
    CHECK(syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) >= 0);
    void *r;
    CHECK(pthread_join(t, &r) == 0 && (long)r == 7);
    struct timespec ts = {0, 1000000};
    CHECK(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 7, &ts, NULL, 0) == -1 && errno == ETIMEDOUT);
    CHECK(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 8, &ts, NULL, 0) == -1 && errno == EAGAIN);
    printf("futex: woken with %ld; ETIMEDOUT and EAGAIN\n", (long)r);
    return 0;
}
