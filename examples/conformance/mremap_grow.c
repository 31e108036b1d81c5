// mremap_grow: mremap(MREMAP_MAYMOVE) grows a mapping; old contents kept, new part zero.
// conformance: replayed
#include "conformance.h"
int main(void) {
    size_t small = 4 * 4096, big = 64 * 4096;
    unsigned char *m = mmap(NULL, small, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    for (size_t i = 0; i < small; i++) m[i] = (unsigned char)(i % 251);
    new_window();
    unsigned char *g = mremap(m, small, big, MREMAP_MAYMOVE);
    CHECK(g != MAP_FAILED);
    for (size_t i = 0; i < small; i++) CHECK(g[i] == (unsigned char)(i % 251));
    for (size_t i = small; i < big; i++) CHECK(g[i] == 0);
    for (size_t i = small; i < big; i++) g[i] = 1;
    unsigned long sum = 0;
    for (size_t i = 0; i < big; i++) sum += g[i];
    CHECK(munmap(g, big) == 0);
    printf("mremap_grow: sum %lu\n", sum);
    unsigned long expected = big - small;
    for (size_t i = 0; i < small; i++) expected += i % 251;
    CHECK(sum == expected);
    return 0;
}
