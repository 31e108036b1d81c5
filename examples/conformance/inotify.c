// inotify: events for a file created, written and deleted in a watched directory.
// conformance: replayed
#include "conformance.h"
#include <sys/inotify.h>
int main(void) {
    char *dir = make_temp_dir();
    int in = inotify_init1(IN_CLOEXEC);
    CHECK(in >= 0);
    int wd = inotify_add_watch(in, dir, IN_CREATE | IN_CLOSE_WRITE | IN_DELETE);
    CHECK(wd >= 0);
    char path[128];
    snprintf(path, sizeof path, "%s/file", dir);
    int fd = open(path, O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0 && write(fd, "x", 1) == 1);
    close(fd);
    unlink(path);
    rmdir(dir);
    char buf[4096] __attribute__((aligned(8)));
    uint32_t seen = 0;
    while (!(seen & IN_DELETE)) {
        ssize_t n = read(in, buf, sizeof buf);
        CHECK(n > 0);
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            if (e->len && strcmp(e->name, "file") == 0) seen |= e->mask;
            p += sizeof *e + e->len;
        }
    }
    CHECK((seen & (IN_CREATE | IN_CLOSE_WRITE | IN_DELETE)) == (IN_CREATE | IN_CLOSE_WRITE | IN_DELETE));
    close(in);
    printf("inotify: create, close_write, delete\n");
    return 0;
}
