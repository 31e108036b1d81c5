// sendfile: sendfile from a file into a pipe, with an offset.
// conformance: replayed
#include "conformance.h"
#include <sys/sendfile.h>
int main(void) {
    char *dir = make_temp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/src", dir);
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    CHECK(fd >= 0 && write(fd, "0123456789", 10) == 10);
    int p[2];
    CHECK(pipe(p) == 0);
    off_t off = 3;
    CHECK(sendfile(p[1], fd, &off, 5) == 5 && off == 8);
    char buf[8] = {0};
    CHECK(read(p[0], buf, sizeof buf) == 5 && strcmp(buf, "34567") == 0);
    close(fd);
    unlink(path);
    rmdir(dir);
    printf("sendfile: %s\n", buf);
    return 0;
}
