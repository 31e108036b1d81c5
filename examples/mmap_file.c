// mmap_file: the crash address is computed from a file read through mmap.
//
// The data never passes through a read() syscall: replay needs the mapped
// file pages themselves (the bundle holds them; the file is gone at replay).
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
        perror(argv[1]);
        return 2;
    }
    const unsigned char *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    close(fd);
    uint32_t hash = 2166136261u;
    for (off_t i = 0; i < st.st_size; i++)
        hash = (hash ^ data[i]) * 16777619u;
    unsigned index = hash % 4096;
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + index * 8);
    printf("mmap_file: mapped %ld bytes, writing to %p\n", (long)st.st_size, (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
