// itimer_signal: the crash address depends on where an asynchronous signal landed.
//
// setitimer(ITIMER_REAL) fires SIGALRM after 2 ms while the main loop does arithmetic
// without making any syscall: each iteration mixes a volatile counter through a chain of
// multiply-adds. The handler copies the counter; the main loop then crashes at an address
// derived from it. Replay must deliver SIGALRM at exactly the recorded instruction of the
// recorded iteration (same counter value), found with a hardware breakpoint, the registers
// and a memory fingerprint: there are no performance counters to count instructions.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static volatile unsigned long counter;
static volatile unsigned long captured;
static volatile unsigned long sink;
static volatile sig_atomic_t fired;

static void on_alarm(int sig) {
    (void)sig;
    captured = counter;
    fired = 1;
}

#define MIX(x) x = x * 6364136223846793005UL + 1442695040888963407UL; x ^= x >> 29;
#define MIX8(x) MIX(x) MIX(x) MIX(x) MIX(x) MIX(x) MIX(x) MIX(x) MIX(x)

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {.it_interval = {0, 0}, .it_value = {0, 2000}};  // 2 ms, once
    setitimer(ITIMER_REAL, &it, NULL);

    while (!fired) {  // no syscalls in here; straight-line work per iteration
        unsigned long x = counter;
        MIX8(x) MIX8(x) MIX8(x) MIX8(x)
        sink = x;
        counter++;
    }

    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (captured % 4096) * 8);
    printf("itimer_signal: signal at counter %lu, writing to %p\n", captured, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
