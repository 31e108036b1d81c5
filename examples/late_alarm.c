// late_alarm: one SIGALRM, 400 ms into a tight loop without syscalls; the crash address comes
// from the iteration it landed in. examples/bench.sh replays it to measure what finding the
// signal's point costs per pass over its pc.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static volatile unsigned long counter, captured;
static volatile sig_atomic_t fired;

static void on_alarm(int sig) {
    (void)sig;
    captured = counter;
    fired = 1;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval once = {{0, 0}, {0, 400000}};
    setitimer(ITIMER_REAL, &once, NULL);
    while (!fired) counter++;  // every pass goes over the pc where the signal lands
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (captured % 4096) * 8);
    printf("late_alarm: signal after %lu passes, writing to %p\n", captured, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
