// fork_pipe: a forked child crashes on data its parent sent through a pipe.
//
// The parent writes a message that differs on every run (its pid and the time),
// waits for the child, prints how it ended and exits 0. Only the child crashes.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    int p[2];
    if (pipe(p) != 0) {
        perror("pipe");
        return 2;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 2;
    }
    alarm(10);  // never hang, in either process
    if (child == 0) {
        close(p[1]);
        char msg[256];
        size_t got = 0;
        ssize_t n;
        while (got < sizeof msg - 1 && (n = read(p[0], msg + got, sizeof msg - 1 - got)) > 0)
            got += (size_t)n;
        msg[got] = 0;
        uint32_t hash = 2166136261u;
        for (size_t i = 0; i < got; i++)
            hash = (hash ^ (unsigned char)msg[i]) * 16777619u;
        volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (hash % 4096) * 8);
        printf("fork_pipe: child %d read \"%s\", writing to %p\n", getpid(), msg, (void *)bad);
        fflush(stdout);
        *bad = 1;  // SIGSEGV here, in the child
        _exit(0);
    }
    close(p[0]);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char msg[128];
    int len = snprintf(msg, sizeof msg, "data from %d at %ld.%09ld", getpid(), (long)ts.tv_sec, ts.tv_nsec);
    if (write(p[1], msg, (size_t)len) != len) perror("write");
    close(p[1]);
    int status = 0;
    if (waitpid(child, &status, 0) != child) {
        perror("waitpid");
        return 2;
    }
    if (WIFSIGNALED(status))
        printf("fork_pipe: child %d killed by signal %d\n", child, WTERMSIG(status));
    else
        printf("fork_pipe: child %d exited with %d\n", child, WEXITSTATUS(status));
    return 0;
}
