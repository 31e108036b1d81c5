// group_stop: SIGSTOP then SIGCONT to a process whose threads are blocked in read(); it goes on.
// conformance: replayed
#include "conformance.h"
#include <pthread.h>
static int p[2];
static void *reader(void *arg) { (void)arg; char c; return (void *)(long)read(p[0], &c, 1); }
int main(void) {
    CHECK(pipe(p) == 0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, reader, NULL) == 0);
    pid_t parent = getpid();
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        sleep_ms(50);
        kill(parent, SIGSTOP);
        sleep_ms(100);
        kill(parent, SIGCONT);
        sleep_ms(50);
        _exit(write(p[1], "abcd", 4) == 4 ? 0 : 1);
    }
    for (int i = 0; i < 4; i++) { void *r; CHECK(pthread_join(t[i], &r) == 0); CHECK((long)r == 1); }
    expect_exit(c, 0);
    printf("group_stop: stopped, continued, 4 threads read\n");
    return 0;
}
