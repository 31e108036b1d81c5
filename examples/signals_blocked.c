// signals_blocked: SIGCHLD and SIGINT arrive while the process's threads block (in read, in
// pthread_cond_wait, in nanosleep); the crash address comes from which thread took each signal
// and in what order.
//
// A process-directed signal goes to any thread that does not block it, and interrupts the call
// that thread sits in (restarted: SA_RESTART). Children exit one after another (SIGCHLD), and
// one of them sends SIGINT to its parent. Replay must deliver each signal to the same thread at
// the same point, inside or between its calls.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILDREN 6

static __thread int slot;  // which thread runs the handler: 1 reader, 2 waiter, 3 sleeper
static volatile unsigned long hash = 1469598103934665603UL;
static volatile sig_atomic_t taken;
static int wake[2];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int done;

static void on_signal(int sig) {
    hash = (hash ^ (unsigned long)(sig * 8 + slot)) * 1099511628211UL;
    taken++;
}

static void *reader(void *arg) {
    (void)arg;
    slot = 1;
    char byte;
    while (read(wake[0], &byte, 1) < 0) {}
    return NULL;
}

static void *waiter(void *arg) {
    (void)arg;
    slot = 2;
    pthread_mutex_lock(&lock);
    while (!done) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *sleeper(void *arg) {
    (void)arg;
    slot = 3;
    for (int i = 0; i < 40; i++) {
        struct timespec nap = {0, 2 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    return NULL;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (pipe(wake) != 0) return 2;
    pthread_t t[3];
    pthread_create(&t[0], NULL, reader, NULL);
    pthread_create(&t[1], NULL, waiter, NULL);
    pthread_create(&t[2], NULL, sleeper, NULL);
    // The signals go to the other threads, wherever they block: the main thread blocks them.
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGCHLD);
    sigaddset(&both, SIGINT);
    pthread_sigmask(SIG_BLOCK, &both, NULL);
    for (int i = 0; i < CHILDREN; i++) {
        pid_t child = fork();
        if (child == 0) {
            struct timespec nap = {0, (long)(i + 1) * 3 * 1000 * 1000};
            nanosleep(&nap, NULL);
            if (i == CHILDREN / 2) kill(getppid(), SIGINT);
            _exit(0);
        }
    }
    // The main thread blocks too: in waitpid (SIGCHLD blocked does not stop it reaping).
    for (int reaped = 0; reaped < CHILDREN;)
        if (waitpid(-1, NULL, 0) > 0) reaped++;
    pthread_join(t[2], NULL);
    pthread_mutex_lock(&lock);
    done = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    if (write(wake[1], "x", 1) != 1) return 3;
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (hash % 4096) * 8);
    printf("signals_blocked: %d signals, hash %lx, writing to %p\n", (int)taken, hash, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
