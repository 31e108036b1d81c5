// madvise_dontneed: MADV_DONTNEED on private anonymous memory: the pages read back as zero.
// conformance: replayed
#include "conformance.h"
int main(void) {
    size_t size = 8 * 4096;
    char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    memset(m, 0x5a, size);
    new_window();
    CHECK(madvise(m + 4096, 2 * 4096, MADV_DONTNEED) == 0);
    CHECK(m[0] == 0x5a && m[4096] == 0 && m[3 * 4096 - 1] == 0 && m[3 * 4096] == 0x5a);
    int zero = 0;
    for (size_t i = 0; i < size; i++) zero += m[i] == 0;
    CHECK(zero == 2 * 4096);
    printf("madvise_dontneed: %d bytes zero again\n", zero);
    return 0;
}
