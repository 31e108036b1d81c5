// eventfd: counter semantics, EFD_SEMAPHORE, and EAGAIN when zero.
// conformance: replayed
#include "conformance.h"
#include <sys/eventfd.h>
int main(void) {
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK(fd >= 0);
    uint64_t v = 3;
    CHECK(write(fd, &v, 8) == 8);
    v = 4;
    CHECK(write(fd, &v, 8) == 8);
    CHECK(read(fd, &v, 8) == 8 && v == 7);
    CHECK(read(fd, &v, 8) == -1 && errno == EAGAIN);
    int s = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    CHECK(s >= 0);
    CHECK(read(s, &v, 8) == 8 && v == 1);
    CHECK(read(s, &v, 8) == 8 && v == 1);
    CHECK(read(s, &v, 8) == -1 && errno == EAGAIN);
    close(fd);
    close(s);
    printf("eventfd: counter 7, semaphore twice\n");
    return 0;
}
