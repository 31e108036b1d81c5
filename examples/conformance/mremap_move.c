// mremap_move: mremap(MREMAP_FIXED) moves a mapping to a chosen address.
// conformance: replayed
#include "conformance.h"
int main(void) {
    size_t size = 8 * 4096;
    char *a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *target = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED && target != MAP_FAILED);
    strcpy(a + 5000, "moved");
    new_window();
    char *b = mremap(a, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    CHECK(b == target);
    CHECK(strcmp(b + 5000, "moved") == 0);
    CHECK(mprotect(a, 4096, PROT_READ) == -1 && errno == ENOMEM);  // the old range is gone
    munmap(b, size);
    printf("mremap_move: contents moved\n");
    return 0;
}
