// exit_code: does a little I/O and exits with a non-zero code (3 by default).
//
// Usage: exit_code [FILE]   (FILE holds the exit code to use)
// Meant for `vplay-bundle record --on-exit-code 3`: an exit with a chosen code
// counts as an abnormal end and gets a bundle; the exit code comes from FILE, so
// replay must feed the recorded read() data to end the same way.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int code = 3;
    if (argc > 1) {
        int fd = open(argv[1], O_RDONLY);
        char buf[32] = {0};
        if (fd < 0 || read(fd, buf, sizeof buf - 1) < 0) {
            perror(argv[1]);
            return 2;
        }
        close(fd);
        code = atoi(buf);
    }
    printf("exit_code: pid %d exiting with %d\n", getpid(), code);
    fflush(stdout);
    exit(code);
}
