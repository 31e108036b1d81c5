// mmap_anon: anonymous private memory: zero-filled, writable, unmapped again.
// conformance: replayed
#include "conformance.h"
int main(void) {
    size_t size = 16 * 4096;
    unsigned char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    for (size_t i = 0; i < size; i++) CHECK(m[i] == 0);
    for (size_t i = 0; i < size; i++) m[i] = (unsigned char)(i * 7);
    new_window();
    unsigned sum = 0;
    for (size_t i = 0; i < size; i++) sum += m[i];
    CHECK(munmap(m, size) == 0);
    unsigned expected = 0;
    for (size_t i = 0; i < size; i++) expected += (unsigned char)(i * 7);
    CHECK(sum == expected);
    printf("mmap_anon: sum %u\n", sum);
    return 0;
}
