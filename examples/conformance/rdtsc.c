// rdtsc: the time-stamp counter moves forward between two reads around some work.
// conformance: replayed
#include "conformance.h"
#include <x86intrin.h>
int main(void) {
    unsigned long long a = __rdtsc();
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 100000; i++) x += i;
    unsigned aux;
    unsigned long long b = __rdtscp(&aux);
    CHECK(b > a);
    printf("rdtsc: %llu cycles\n", b - a);
    return 0;
}
