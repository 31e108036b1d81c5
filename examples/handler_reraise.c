// handler_reraise: a server-like loop whose own SIGSEGV handler writes a crash report and then
// re-raises the signal with kill(), as many servers do. The process ends with an SI_USER
// SIGSEGV sent from inside the handler; the fault that started it (SEGV_MAPERR at 0x40 in
// handle_request) was caught. A crash report must show that fault first, then the re-raise.
//
// `handler_reraise SECONDS`: "requests" (a write and a read through a pipe, each naming its
// number) for SECONDS of wall-clock time, so that a short --window rotates in between, then
// request "CRASH" faults. SA_NODEFER | SA_RESETHAND, as redis installs its handler: the kill()
// inside the handler is delivered at once, with the default action.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void say(const char *s) { (void)!write(2, s, strlen(s)); }

static void on_segv(int sig, siginfo_t *info, void *context) {
    (void)context;
    char line[128];
    say("=== handler_reraise crashed by signal ===\n");
    snprintf(line, sizeof line, "signal %d, si_code %d, address %p\n", sig, info->si_code, info->si_addr);
    say(line);
    snprintf(line, sizeof line, "pid %d\n", (int)getpid());
    say(line);
    say("=== end of report ===\n");
    kill(getpid(), sig);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static long handle_request(const char *request) {
    if (strcmp(request, "CRASH") == 0) {
        volatile long *bad = (volatile long *)0x40;
        return *bad;  // SEGV_MAPERR at 0x40
    }
    return (long)strlen(request);
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 1.5;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);

    int fds[2];
    if (pipe(fds) != 0) return 1;
    char request[64], echo[64];
    long total = 0;
    double start = now();
    for (long n = 0; now() - start < seconds; n++) {
        int len = snprintf(request, sizeof request, "GET key:%ld", n);
        (void)!write(fds[1], request, len);
        ssize_t got = read(fds[0], echo, sizeof echo - 1);
        if (got <= 0) return 1;
        echo[got] = 0;
        total += handle_request(echo);
        if (n % 16 == 0) usleep(1000);  // a paced server: a window is bounded by time, not by the recorder's call cap
    }
    printf("handled requests, %ld bytes\n", total);
    fflush(stdout);
    return (int)handle_request("CRASH");
}
