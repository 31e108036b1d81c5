// splice_tee: tee duplicates a pipe's data into another pipe; splice moves it into a file.
// conformance: replayed
#include "conformance.h"
int main(void) {
    int a[2], b[2];
    CHECK(pipe(a) == 0 && pipe(b) == 0);
    CHECK(write(a[1], "spliced", 7) == 7);
    CHECK(tee(a[0], b[1], 7, 0) == 7);
    char *dir = make_temp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/out", dir);
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    CHECK(fd >= 0);
    loff_t off = 0;
    CHECK(splice(a[0], NULL, fd, &off, 7, 0) == 7 && off == 7);
    char buf[8] = {0}, buf2[8] = {0};
    CHECK(pread(fd, buf, 7, 0) == 7 && strcmp(buf, "spliced") == 0);
    CHECK(read(b[0], buf2, 7) == 7 && strcmp(buf2, "spliced") == 0);
    close(fd);
    unlink(path);
    rmdir(dir);
    printf("splice_tee: teed and spliced\n");
    return 0;
}
