// enosys_above_table: a syscall number above the kernel's table fails with ENOSYS.
// conformance: replayed
#include "conformance.h"
int main(void) {
    long numbers[] = {1000, 4096, 100000};
    for (int i = 0; i < 3; i++) { errno = 0; CHECK(syscall(numbers[i], 0, 0) == -1 && errno == ENOSYS); }
    printf("enosys_above_table: ENOSYS for 1000, 4096, 100000\n");
    return 0;
}
