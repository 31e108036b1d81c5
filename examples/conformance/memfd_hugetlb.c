// memfd_hugetlb: memfd_create(MFD_HUGETLB) mapped shared (needs vm.nr_hugepages >= 2).
// conformance: replayed
// conformance-needs: hugepages
#include "conformance.h"
int main(void) {
    size_t size = 2 * 1024 * 1024;
    int fd = memfd_create("vplay-conf-huge", MFD_CLOEXEC | MFD_HUGETLB);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, size) == 0);
    char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) fprintf(stderr, "memfd_hugetlb: no huge page (is vm.nr_hugepages 0?)\n");
    CHECK(m != MAP_FAILED);
    new_window();
    strcpy(m + size - 64, "end of the huge page");
    char *m2 = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(m2 != MAP_FAILED);
    CHECK(strcmp(m2 + size - 64, "end of the huge page") == 0);
    munmap(m2, size);
    munmap(m, size);
    close(fd);
    printf("memfd_hugetlb: two views of one huge page agree\n");
    return 0;
}
