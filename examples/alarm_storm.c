// alarm_storm: 60 SIGALRMs, one every 2 ms, land in a loop that makes no syscalls; the crash
// address comes from where each one landed.
//
// The handler folds the loop's counter at each signal into a hash; after the 60th the loop
// ends and the program writes to an address derived from the hash. Replay must deliver every
// signal at the recorded instruction of the recorded iteration: one misplaced signal changes
// the address. A tight loop passes each signal's pc hundreds of thousands of times between
// two signals, so finding the right pass must cost nanoseconds, not a tracer round trip.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#define SIGNALS 60

static volatile unsigned long counter;
static volatile unsigned long hash = 1469598103934665603UL;
static volatile sig_atomic_t taken;

static void on_alarm(int sig) {
    (void)sig;
    hash = (hash ^ counter) * 1099511628211UL;
    taken++;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval every2ms = {{0, 2000}, {0, 2000}};
    setitimer(ITIMER_REAL, &every2ms, NULL);

    unsigned long local = 0;
    while (taken < SIGNALS) {  // no syscalls in here
        local = local * 6364136223846793005UL + 1442695040888963407UL;
        counter = counter + (local >> 60) + 1;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);

    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (hash % 4096) * 8);
    printf("alarm_storm: %d signals, hash %lx, writing to %p\n", SIGNALS, hash, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
