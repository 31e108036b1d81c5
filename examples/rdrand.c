// rdrand: the crash address comes from the CPU's random number generator.
//
// rdrand and rdseed are instructions the kernel cannot trap here (no CPUID faulting), so
// nothing is logged and a replay draws other numbers. vplay's trial replay then diverges and
// the bundle must fall back to every resident page, unverified, saying where it diverged.
#include <immintrin.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    unsigned long long value = 0;
    while (!_rdrand64_step(&value)) {}
    // A syscall after the draw, so that replay meets the difference in the log first.
    printf("rdrand: drew %llx\n", value);
    fflush(stdout);
    volatile unsigned long *target = (unsigned long *)(0x1000 + (value & 0x7ff8));
    printf("rdrand: writing to %p\n", (void *)target);
    fflush(stdout);
    *target = value;
    return 0;
}
