// exec_self: the program execve()s itself with other arguments and environment.
// conformance: replayed
#include "conformance.h"
int main(int argc, char **argv) {
    if (argc > 1) {
        CHECK(strcmp(argv[1], "second") == 0);
        const char *v = getenv("VPLAY_CONF_STAGE");
        CHECK(v != NULL && strcmp(v, "2") == 0);
        printf("exec_self: second image, pid %d\n", getpid());
        return 0;
    }
    char *args[] = {argv[0], "second", NULL};
    char *env[] = {"VPLAY_CONF_STAGE=2", NULL};
    execve("/proc/self/exe", args, env);
    CHECK(!"execve failed");
}
