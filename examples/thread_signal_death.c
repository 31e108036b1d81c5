// While worker threads run (one spins, one blocks in read), another thread takes a fatal
// SIGBUS sent to itself with tgkill: the whole process dies of it, recorded or not.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile unsigned long spins;
static int fds[2];
static void *spinner(void *a) { (void)a; for (;;) spins++; }
static void *reader(void *a) { (void)a; char c; read(fds[0], &c, 1); return NULL; }
static void *victim(void *a) {
    (void)a;
    usleep(200000);
    printf("thread_signal_death: SIGBUS to thread %ld\n", (long)syscall(SYS_gettid));
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGBUS);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pipe(fds);
    pthread_t t[3];
    pthread_create(&t[0], NULL, spinner, NULL);
    pthread_create(&t[1], NULL, reader, NULL);
    pthread_create(&t[2], NULL, victim, NULL);
    pthread_join(t[2], NULL);
    printf("thread_signal_death: still alive (wrong)\n");
    return 1;
}
