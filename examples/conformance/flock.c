// flock: an exclusive flock makes another open file description's LOCK_NB fail with EWOULDBLOCK.
// conformance: replayed
#include <sys/file.h>
#include "conformance.h"
int main(void) {
    char *dir = make_temp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/flock", dir);
    int a = open(path, O_RDWR | O_CREAT, 0600), b = open(path, O_RDWR);
    CHECK(a >= 0 && b >= 0);
    CHECK(flock(a, LOCK_EX) == 0);
    CHECK(flock(b, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK);
    CHECK(flock(a, LOCK_UN) == 0);
    CHECK(flock(b, LOCK_SH | LOCK_NB) == 0);
    close(a);
    close(b);
    unlink(path);
    rmdir(dir);
    printf("flock: EWOULDBLOCK, then shared\n");
    return 0;
}
