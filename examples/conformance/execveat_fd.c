// execveat_fd: execveat(fd, "", AT_EMPTY_PATH) of this program opened as a file descriptor.
// conformance: replayed
#include "conformance.h"
int main(int argc, char **argv) {
    if (argc > 1) { printf("execveat_fd: second image (%s)\n", argv[1]); return strcmp(argv[1], "fd") == 0 ? 0 : 1; }
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    char *args[] = {argv[0], "fd", NULL};
    extern char **environ;
    syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH);
    CHECK(!"execveat failed");
}
