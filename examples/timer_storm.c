// SIGALRM every millisecond (a handler counts them) while the main thread makes 20,000
// getppid calls and a second thread 20,000 writes to /dev/null. Natively a few ms; recorded it
// must finish too: each signal costs the recorder a stop, and a recorder slower than the
// timer would starve the program forever.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t ticks;
static void on_alarm(int sig) { (void)sig; ticks++; }

static void *writer(void *arg) {
    (void)arg;
    int fd = open("/dev/null", O_WRONLY);
    for (int i = 0; i < 20000; i++) write(fd, "x", 1);
    close(fd);
    return NULL;
}

int main(void) {
    struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
    sigaction(SIGALRM, &sa, NULL);
    sigset_t alarm;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } };
    setitimer(ITIMER_REAL, &every_ms, NULL);
    pthread_sigmask(SIG_BLOCK, &alarm, NULL);  // the writer never takes it
    pthread_t thread;
    pthread_create(&thread, NULL, writer, NULL);
    pthread_sigmask(SIG_UNBLOCK, &alarm, NULL);
    for (int i = 0; i < 20000; i++) getppid();
    pthread_join(thread, NULL);
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    printf("timer_storm: done\n");
    return 0;
}
