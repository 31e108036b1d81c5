// nested_calls: a crash three calls below main, for backtraces.
//
// Usage: nested_calls FILE
// main reads FILE and passes it down parse_record -> checksum_field -> store_result, which
// writes through a pointer derived from the bytes (below mmap_min_addr: always SIGSEGV).
// noipa keeps each function a real frame under any optimization level, and the arithmetic
// after each call keeps the calls from becoming tail calls, so the crashing thread's
// backtrace reads store_result, checksum_field, parse_record, main with -O0 and -O2 alike.
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline, noipa)) static int store_result(volatile int *slot, int value) {
    *slot = value;  // SIGSEGV here
    return value + 1;
}

__attribute__((noinline, noipa)) static int checksum_field(const unsigned char *buf, long n) {
    uint32_t hash = 2166136261u;
    for (long i = 0; i < n; i++)
        hash = (hash ^ buf[i]) * 16777619u;
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (hash % 4096) * 8);
    printf("nested_calls: read %ld bytes, writing to %p\n", n, (void *)bad);
    fflush(stdout);
    return store_result(bad, (int)hash) * 3;
}

__attribute__((noinline, noipa)) static int parse_record(const unsigned char *buf, long n) {
    return checksum_field(buf, n) + 7;
}

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
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n < 0) {
        perror("read");
        return 2;
    }
    printf("nested_calls: parse_record returned %d\n", parse_record(buf, n));
    return 0;
}
