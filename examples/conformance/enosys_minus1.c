// enosys_minus1: syscall(-1) fails with ENOSYS and the program goes on.
// conformance: replayed
#include "conformance.h"
int main(void) {
    errno = 0;
    CHECK(syscall(-1) == -1 && errno == ENOSYS);
    errno = 0;
    CHECK(syscall(-1, 1, 2, 3) == -1 && errno == ENOSYS);
    printf("enosys_minus1: ENOSYS\n");
    return 0;
}
