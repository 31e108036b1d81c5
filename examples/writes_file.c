// writes_file: writes a file, then crashes. Replay must not touch the file system:
// the test deletes the file before replaying and checks that replay does not
// recreate it.
//
// Usage: writes_file PATH
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH\n", argv[0]);
        return 2;
    }
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(argv[1]);
        return 2;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char line[128];
    long written = 0;
    for (int i = 0; i < 10; i++) {
        int len = snprintf(line, sizeof line, "line %d written by pid %d at %ld.%09ld\n",
                           i, getpid(), (long)ts.tv_sec, ts.tv_nsec);
        ssize_t n = write(fd, line, (size_t)len);
        if (n < 0) {
            perror("write");
            return 2;
        }
        written += n;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        perror("fstat");
        return 2;
    }
    close(fd);
    uint64_t mix = (uint64_t)st.st_ino * 2654435761u + (uint64_t)written + (uint64_t)st.st_size;
    volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (mix % 4096) * 8);
    printf("writes_file: wrote %ld bytes to %s, writing to %p\n", written, argv[1], (void *)bad);
    fflush(stdout);
    *bad = 1;  // SIGSEGV here
    return 0;
}
