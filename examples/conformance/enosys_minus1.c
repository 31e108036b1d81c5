// enosys_minus1: syscall(-1) fails with ENOSYS and the program goes on.
// conformance: unsupported: enosys_minus1-PID: replay: at log event N of M: syscall_-1 is not supported: unknown syscall
#include "conformance.h"
int main(void) {
    errno = 0;
    CHECK(syscall(-1) == -1 && errno == ENOSYS);
    errno = 0;
    CHECK(syscall(-1, 1, 2, 3) == -1 && errno == ENOSYS);
    printf("enosys_minus1: ENOSYS\n");
    return 0;
}
