// mlock_madvise: MADV_DONTNEED on mlock()ed memory fails with EINVAL and keeps the contents.
// conformance: replayed
#include "conformance.h"
int main(void) {
    size_t size = 4 * 4096;
    char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    memset(m, 0x33, size);
    CHECK(mlock(m, size) == 0);
    new_window();
    errno = 0;
    CHECK(madvise(m, size, MADV_DONTNEED) == -1 && errno == EINVAL);
    CHECK(m[0] == 0x33 && m[size - 1] == 0x33);
    CHECK(munlock(m, size) == 0);
    CHECK(madvise(m, size, MADV_DONTNEED) == 0);
    CHECK(m[0] == 0 && m[size - 1] == 0);
    printf("mlock_madvise: EINVAL while locked, zero after munlock\n");
    return 0;
}
