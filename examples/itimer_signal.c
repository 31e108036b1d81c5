// itimer_signal: the crash address depends on where an asynchronous signal landed.
//
// setitimer(ITIMER_REAL) fires SIGALRM after a few milliseconds while the main loop
// increments a volatile counter without making any syscall. The handler copies the
// counter; the main loop then crashes at an address derived from it. Replay must
// deliver SIGALRM at exactly the recorded instruction (same counter value).
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static volatile unsigned long counter;
static volatile unsigned long captured;
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
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {.it_interval = {0, 0}, .it_value = {0, 5000}};  // 5 ms, once
    setitimer(ITIMER_REAL, &it, NULL);

    while (!fired)
        counter++;  // no syscalls in here

    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (captured % 4096) * 8);
    printf("itimer_signal: signal at counter %lu, writing to %p\n", captured, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
