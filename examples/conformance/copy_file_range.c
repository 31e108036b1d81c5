// copy_file_range: copy a range of one file into another at offsets.
// conformance: replayed
#include "conformance.h"
int main(void) {
    char *dir = make_temp_dir();
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    int fa = open(a, O_RDWR | O_CREAT, 0600), fb = open(b, O_RDWR | O_CREAT, 0600);
    CHECK(fa >= 0 && fb >= 0);
    CHECK(write(fa, "abcdefghij", 10) == 10);
    loff_t in = 2, out = 1;
    CHECK(write(fb, "_", 1) == 1);
    CHECK(copy_file_range(fa, &in, fb, &out, 4, 0) == 4 && in == 6 && out == 5);
    char buf[8] = {0};
    CHECK(pread(fb, buf, 8, 0) == 5 && strcmp(buf, "_cdef") == 0);
    close(fa);
    close(fb);
    unlink(a);
    unlink(b);
    rmdir(dir);
    printf("copy_file_range: %s\n", buf);
    return 0;
}
