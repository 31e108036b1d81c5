// stack_growth: recursion grows the stack 4 MiB below where it was at start.
// conformance: replayed
#include "conformance.h"
static long depth_sum(int n) {
    volatile char frame[4000];
    frame[0] = (char)n;
    frame[sizeof frame - 1] = (char)(n >> 8);
    if (n == 0) return frame[0];
    return depth_sum(n - 1) + (frame[0] & 1);
}
int main(void) {
    new_window();
    long r = depth_sum(1000);
    CHECK(r == 500);
    printf("stack_growth: 1000 frames of 4 KB, result %ld\n", r);
    return 0;
}
