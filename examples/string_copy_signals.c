// string_copy_signals: 40 SIGALRMs, one every 2 ms, land mostly inside `rep movsb`,
// each copy of 2 MiB one instruction; the crash address comes from where each one landed.
//
// An interrupt stops a string instruction between two of its iterations, with rip still on
// it and rcx (the bytes left), rsi and rdi part-way, so no pass over that pc starts with those
// registers. The handler folds rcx, read from its ucontext, into a hash that gives the crash
// address: replay must deliver each signal after the recorded number of iterations. Copies go
// both ways (the backward one under the direction flag, as memmove's does).
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>

#define SIGNALS 40
#define SIZE (2 << 20)

extern const char forward_copy_at[], backward_copy_at[];
static volatile unsigned long hash = 1469598103934665603UL;
static volatile sig_atomic_t taken, inside;

static void on_alarm(int sig, siginfo_t *si, void *context) {
    (void)sig, (void)si;
    const greg_t *regs = ((ucontext_t *)context)->uc_mcontext.gregs;
    hash = (hash ^ (unsigned long)regs[REG_RCX]) * 1099511628211UL;
    if (regs[REG_RIP] == (greg_t)forward_copy_at || regs[REG_RIP] == (greg_t)backward_copy_at) inside++;
    taken++;
}

static __attribute__((noinline)) void forward(char *dst, const char *src, size_t n) {
    __asm__ volatile(".globl forward_copy_at\nforward_copy_at: rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static __attribute__((noinline)) void backward(char *dst, const char *src, size_t n) {
    dst += n - 1, src += n - 1;
    __asm__ volatile("std\n.globl backward_copy_at\nbackward_copy_at: rep movsb\ncld"
                     : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static void copy_until_done(void) {
    char *a = malloc(SIZE), *b = malloc(SIZE);
    if (!a || !b) abort();
    memset(a, 1, SIZE);
    memset(b, 2, SIZE);
    while (taken < SIGNALS) {  // no syscalls in here
        forward(b, a, SIZE);
        backward(a, b, SIZE);
    }
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_alarm;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval every2ms = {{0, 2000}, {0, 2000}};
    setitimer(ITIMER_REAL, &every2ms, NULL);
    copy_until_done();
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);

    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (hash % 4096) * 8);
    printf("string_copy_signals: %d signals, %d inside a copy, hash %lx, writing to %p\n", SIGNALS, (int)inside, hash, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
