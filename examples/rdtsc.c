// rdtsc: the crash address is computed from time-stamp counter values.
//
// rdtsc is an instruction, not a syscall: the recorder has to trap it
// (prctl(PR_SET_TSC, PR_TSC_SIGSEGV)) and log each value for replay.
#include <stdint.h>
#include <stdio.h>
#include <x86intrin.h>

int main(void) {
    uint64_t first = __rdtsc(), last = first, mix = 0;
    for (int i = 0; i < 200; i++) {
        volatile unsigned spin = 0;
        for (unsigned j = 0; j < 1000; j++) spin += j;
        last = __rdtsc();
        mix = mix * 131 + (last - first);
    }
    unsigned index = (unsigned)((mix ^ last) % 4096);
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + index * 8);
    printf("rdtsc: %llu cycles, writing to %p\n", (unsigned long long)(last - first), (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
