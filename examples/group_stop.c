// A process with many threads blocked in syscalls is stopped and continued as a whole
// (SIGSTOP, SIGCONT from its parent); it must stay stopped until continued, then finish.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS 8
static int fds[2];
static void *blocked(void *a) { (void)a; char c; read(fds[0], &c, 1); return NULL; }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int ready[2];
    pipe(ready);
    pid_t child = fork();
    if (child == 0) {
        pipe(fds);
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, blocked, NULL);
        write(ready[1], "r", 1);
        for (int i = 0; i < 10; i++) usleep(20000);  // 0.2 s of running, stopped for 0.3 s in between
        write(fds[1], "xxxxxxxx", THREADS);
        for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
        return 0;
    }
    char c;
    read(ready[0], &c, 1);
    int st;
    kill(child, SIGSTOP);
    if (waitpid(child, &st, WUNTRACED) != child || !WIFSTOPPED(st)) { printf("group_stop: not stopped\n"); return 1; }
    double t0 = now();
    usleep(300000);
    // Still stopped: no exit while stopped.
    if (waitpid(child, &st, WNOHANG) != 0) { printf("group_stop: ran while stopped\n"); return 1; }
    kill(child, SIGCONT);
    if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0) { printf("group_stop: bad end 0x%x\n", st); return 1; }
    printf("group_stop: stopped %.1f s, then continued and exited 0\n", now() - t0);
    return 0;
}
