// Syscalls interrupted by a signal with a handler, in a process with threads: a thread sends
// kill(getpid(), SIGINT) while the main thread sleeps in clock_nanosleep, then again while it
// waits in select. Then syscall(-1) and a number past the table: both are ENOSYS, recorded
// and replayed like any other call.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t caught;
static int ready[2];  // the main thread says "about to block" through a pipe (a syscall, not a data race)
static void on_sigint(int sig) { (void)sig; caught++; }

// Each signal is sent 0.1 s after the main thread says which call it is about to make. The
// sender blocks SIGINT, so that only the main thread can take it.
static void *interrupter(void *arg) {
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    for (int i = 0; i < 2; i++) {
        char c;
        if (read(ready[0], &c, 1) != 1) return NULL;
        usleep(100000);
        kill(getpid(), SIGINT);
    }
    return NULL;
}

int main(void) {
    struct sigaction sa = { .sa_handler = on_sigint };
    sigaction(SIGINT, &sa, NULL);
    if (pipe(ready) != 0) return 2;
    pthread_t thread;
    pthread_create(&thread, NULL, interrupter, NULL);
    struct timespec ts = { 5, 0 };
    write(ready[1], "1", 1);
    int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts);
    printf("interrupted_calls: clock_nanosleep -> %s\n", r == EINTR ? "EINTR" : "not interrupted");
    struct timeval tv = { 5, 0 };
    write(ready[1], "2", 1);
    r = select(0, NULL, NULL, NULL, &tv);
    printf("interrupted_calls: select -> %s\n", r < 0 && errno == EINTR ? "EINTR" : "not interrupted");
    pthread_join(thread, NULL);
    long minus_one = syscall(-1);
    int e1 = errno;
    long past = syscall(1000);
    int e2 = errno;
    printf("interrupted_calls: syscall(-1) -> %s, syscall(1000) -> %s\n",
           minus_one == -1 && e1 == ENOSYS ? "ENOSYS" : "?", past == -1 && e2 == ENOSYS ? "ENOSYS" : "?");
    return caught == 2 && minus_one == -1 && past == -1 ? 0 : 1;
}
