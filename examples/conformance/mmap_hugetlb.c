// mmap_hugetlb: a MAP_HUGETLB anonymous mapping (needs vm.nr_hugepages >= 2; the harness sets it).
// conformance: replayed
// conformance-needs: hugepages
#include "conformance.h"
int main(void) {
    size_t size = 2 * 1024 * 1024;
    char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    if (m == MAP_FAILED) fprintf(stderr, "mmap_hugetlb: no huge page (is vm.nr_hugepages 0?)\n");
    CHECK(m != MAP_FAILED);
    CHECK(((uintptr_t)m & (size - 1)) == 0);
    new_window();
    for (size_t i = 0; i < size; i += 4096) m[i] = (char)(i >> 12);
    long sum = 0;
    for (size_t i = 0; i < size; i += 4096) sum += m[i];
    CHECK(munmap(m, size) == 0);
    long expected = 0;
    for (size_t i = 0; i < size; i += 4096) expected += (char)(i >> 12);
    CHECK(sum == expected);
    printf("mmap_hugetlb: a 2 MiB page, sum %ld\n", sum);
    return 0;
}
