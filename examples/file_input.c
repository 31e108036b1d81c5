// file_input: the crash address is computed from the bytes of a file.
//
// Usage: file_input FILE
// Reads FILE, hashes its content (FNV-1a) and writes through a pointer derived
// from the hash. The pointer lies below mmap_min_addr (0x1000..0x8ff8), so the
// write always faults (SIGSEGV) but at an address that depends only on FILE.
// Replay must feed the recorded read() data back: the file is gone by then.
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        perror(argv[1]);
        return 2;
    }
    unsigned char buf[4096];
    uint32_t hash = 2166136261u;
    long total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            hash = (hash ^ buf[i]) * 16777619u;
        total += n;
    }
    close(fd);

    unsigned index = hash % 4096;
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + index * 8);
    printf("file_input: read %ld bytes, index %u, writing to %p\n", total, index, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
