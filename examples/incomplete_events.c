// incomplete_events: calls whose written bytes the BPF logger cannot copy itself, so that the
// tracer must read them (docs/recording-paths.md, "Nothing is lost silently"):
//   - one read() of 64 KiB, more than the 4 KiB one event holds (the event is truncated);
//   - nanosleep() whose rem points into a page never touched (the table says rem may be
//     written; the logger's copy of it fails, since the page is not resident).
// The crash address is derived from a checksum of all 64 KiB, so a replay that had only the
// first 4 KiB of the read would fault elsewhere.
//
// Usage: incomplete_events FILE   (FILE holds at least 64 KiB)
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) { perror(argv[1]); return 2; }
    enum { size = 64 * 1024 };
    unsigned char *buffer = malloc(size);
    if (!buffer || read(fd, buffer, size) != size) return 2;
    close(fd);
    struct timespec nap = {0, 1000};
    struct timespec *rem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rem == MAP_FAILED || nanosleep(&nap, rem) != 0) return 2;
    uint64_t sum = 0;
    for (int i = 0; i < size; i++) sum = sum * 31 + buffer[i];
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (sum % 4096) * 8);
    printf("checksum %016llx, writing to %p\n", (unsigned long long)sum, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV
    return 0;
}
