// memory_kinds: kinds of memory whose window-start contents or growth replay must get right.
// Each mode sets memory up, lets a new recording window start (record with --window 0.25),
// then computes from it and checks the result itself: exit 0 when right, 1 when not (a replay
// that computes something else ends differently). The line printed carries the result.
//
//   shared-anon    MAP_SHARED anonymous memory, read-modified-written after window start
//   shared-file    a file mapped MAP_SHARED, read-modified-written through the mapping
//   shared-fork    MAP_SHARED memory a forked child changes; the parent reads it
//   shared-peer    the same, but the parent never reads it (its replay ends with other memory)
//   stack-grow     recursion takes the stack 2 MiB below where it was at window start
//   stack-overflow a child lowers RLIMIT_STACK inside the window and recurses into SIGSEGV
//   mremap-inplace mremap grows a mapping in place
//   mremap-file    mremap grows a file mapping: the new part shows the file
//   madvise-locked MADV_DONTNEED_LOCKED empties mlock()ed memory (MADV_DONTNEED fails there)
//   hugetlb        a MAP_HUGETLB page: munmap gives it back to the pool
//   hugetlb-memfd  a memfd_create(MFD_HUGETLB) page mapped shared: closing gives it back
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define HUGE (2UL << 20)

static void new_window(void) {
    // Two sleeps longer than the window: the next syscall starts a window after this setup.
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    nanosleep(&ts, NULL);
}

static unsigned long mix(const volatile unsigned char *p, size_t n) {
    unsigned long h = 1469598103934665603UL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211UL;
    return h;
}

static void fill(volatile unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(i * seed + 1);
}

// Adds a per-byte amount: the result depends on what the memory held before.
static void bump(volatile unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(p[i] + i % 7 + 1);
}

static int report(const char *mode, unsigned long got, unsigned long want) {
    printf("%s: %lx (%s)\n", mode, got, got == want ? "right" : "WRONG");
    return got == want ? 0 : 1;
}

static int shared_anon(void) {
    size_t n = 8 * PAGE;
    unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    unsigned char *want = malloc(n);
    if (p == MAP_FAILED || !want) return 2;
    fill(p, n, 3);
    fill(want, n, 3);
    bump(want, n);
    new_window();
    bump(p, n);
    return report("shared-anon", mix(p, n), mix(want, n));
}

static int shared_file(const char *path) {
    size_t n = 4 * PAGE;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, n) != 0) return 2;
    unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    unsigned char *want = malloc(n);
    if (p == MAP_FAILED || !want) return 2;
    close(fd);
    fill(p, n, 5);
    fill(want, n, 5);
    bump(want, n);
    new_window();
    bump(p, n);
    return report("shared-file", mix(p, n), mix(want, n));
}

static int shared_fork(int reads) {
    size_t n = 2 * PAGE;
    unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    unsigned char *want = malloc(n);
    if (p == MAP_FAILED || !want) return 2;
    fill(p, n, 7);
    fill(want, n, 7);
    bump(want, n);
    new_window();
    pid_t c = fork();
    if (c == 0) {
        bump(p, n);
        _exit(0);
    }
    int st;
    if (waitpid(c, &st, 0) != c || !WIFEXITED(st)) return 2;
    if (!reads) return report("shared-peer", 0, 0);
    return report("shared-fork", mix(p, n), mix(want, n));
}

static unsigned long descend(int depth) {
    volatile unsigned char frame[2000];
    fill(frame, sizeof frame, (unsigned)depth);
    if (depth == 0) return mix(frame, sizeof frame);
    return descend(depth - 1) + frame[depth % sizeof frame];
}

static int stack_grow(void) {
    new_window();
    unsigned long a = descend(1000);  // about 2 MiB of frames
    unsigned long b = descend(1000);
    return report("stack-grow", a, b);
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static unsigned long overflow(unsigned long n) {
    volatile unsigned char frame[1000];
    frame[0] = (unsigned char)n;
    return overflow(n + 1) + frame[0];
}

static int stack_overflow(void) {
    pid_t c = fork();
    if (c == 0) {
        new_window();
        struct rlimit rl = {256 * 1024, RLIM_INFINITY};
        if (setrlimit(RLIMIT_STACK, &rl) != 0) _exit(2);
        _exit((int)overflow(0));  // never returns: SIGSEGV at the limit
    }
    int st;
    if (waitpid(c, &st, 0) != c) return 2;
    printf("stack-overflow: child %d %s\n", c, WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? "got SIGSEGV" : "did not fault");
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? 0 : 1;
}

static int mremap_inplace(void) {
    unsigned char *p = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || munmap(p + 4 * PAGE, 12 * PAGE) != 0) return 2;
    fill(p, 4 * PAGE, 11);
    new_window();
    unsigned char *g = mremap(p, 4 * PAGE, 16 * PAGE, 0);
    if (g != p) return report("mremap-inplace", 0, 1);
    bump(g, 16 * PAGE);
    unsigned char *want = calloc(16, PAGE);
    fill(want, 4 * PAGE, 11);
    bump(want, 16 * PAGE);
    return report("mremap-inplace", mix(g, 16 * PAGE), mix(want, 16 * PAGE));
}

static int mremap_file(const char *path) {
    unsigned char *want = malloc(2 * PAGE);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || !want) return 2;
    fill(want, 2 * PAGE, 13);
    if (write(fd, want, 2 * PAGE) != (ssize_t)(2 * PAGE)) return 2;
    unsigned char *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return 2;
    new_window();
    unsigned char *g = mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE);
    if (g == MAP_FAILED) return 2;
    return report("mremap-file", mix(g, 2 * PAGE), mix(want, 2 * PAGE));
}

static int madvise_locked(void) {
    size_t n = 4 * PAGE;
    unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 2;
    fill(p, n, 17);
    if (mlock(p, n) != 0) return 2;
    new_window();
    unsigned long before = mix(p, n);
    int refused = madvise(p, n, MADV_DONTNEED) == -1 && errno == EINVAL;
    int emptied = madvise(p, n, 24 /* MADV_DONTNEED_LOCKED */) == 0;
    unsigned char *zeros = calloc(1, n);
    unsigned char *want = malloc(n);
    fill(want, n, 17);
    int ok = refused && emptied && before == mix(want, n);
    bump(p, n);
    bump(zeros, n);
    return report("madvise-locked", mix(p, n) + !ok, mix(zeros, n));
}

static long free_huge_pages(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    long n = -1;
    while (f && fgets(line, sizeof line, f)) sscanf(line, "HugePages_Free: %ld", &n);
    if (f) fclose(f);
    return n;
}

static int hugetlb(int memfd) {
    long before = free_huge_pages();
    unsigned char *p;
    int fd = -1;
    if (memfd) {
        fd = memfd_create("memory_kinds", MFD_HUGETLB);
        if (fd < 0 || ftruncate(fd, HUGE) != 0) return 2;
        p = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    } else {
        p = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    }
    if (p == MAP_FAILED) {
        fprintf(stderr, "no huge page free (vm.nr_hugepages?)\n");
        return 2;
    }
    fill(p, HUGE, 19);
    new_window();
    bump(p, HUGE);
    unsigned long got = mix(p, HUGE);
    munmap(p, HUGE);
    if (fd >= 0) close(fd);
    long after = free_huge_pages();
    unsigned char *want = malloc(HUGE);
    fill(want, HUGE, 19);
    bump(want, HUGE);
    printf("hugetlb: %ld huge pages free before, %ld after\n", before, after);
    return report(memfd ? "hugetlb-memfd" : "hugetlb", got + (after != before), mix(want, HUGE));
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    const char *path = argc > 2 ? argv[2] : "memory_kinds.bin";
    if (!strcmp(mode, "shared-anon")) return shared_anon();
    if (!strcmp(mode, "shared-file")) return shared_file(path);
    if (!strcmp(mode, "shared-fork")) return shared_fork(1);
    if (!strcmp(mode, "shared-peer")) return shared_fork(0);
    if (!strcmp(mode, "stack-grow")) return stack_grow();
    if (!strcmp(mode, "stack-overflow")) return stack_overflow();
    if (!strcmp(mode, "mremap-inplace")) return mremap_inplace();
    if (!strcmp(mode, "mremap-file")) return mremap_file(path);
    if (!strcmp(mode, "madvise-locked")) return madvise_locked();
    if (!strcmp(mode, "hugetlb")) return hugetlb(0);
    if (!strcmp(mode, "hugetlb-memfd")) return hugetlb(1);
    fprintf(stderr, "usage: memory_kinds MODE [FILE]\n");
    return 2;
}
