// What the BPF syscall logger costs a process, measured by hand (examples/bpf-bench.sh builds
// and runs it): getppid and read from /dev/zero natively, with the programs attached while this
// process is not recorded, and while it is. A drain thread on another CPU consumes the ring.
//   bpf-bench OBJECT [ITERATIONS]
#define _GNU_SOURCE
#include "cvplay_bpf.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;
static atomic_ulong received;
static char buffer[65536];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
}

static int count_event(void *context, void *data, size_t size)
{
    (void)context, (void)data, (void)size;
    atomic_fetch_add(&received, 1);
    return 0;
}

static void *drain(void *bpf)
{
    pin(1);
    while (!atomic_load(&stop)) {
        vp_bpf_wait(bpf, 20);
        vp_bpf_consume(bpf);
    }
    while (vp_bpf_consume(bpf) > 0) {}
    return NULL;
}

// ns per call, best of 5 runs (the machine is shared).
static double measure(long number, int fd, size_t size, long iterations)
{
    double best = 1e9;
    for (int run = 0; run < 5; run++) {
        double start = now();
        for (long i = 0; i < iterations; i++) {
            if (number == SYS_read)
                syscall(SYS_read, fd, buffer, size);
            else
                syscall(number);
        }
        double ns = (now() - start) * 1e9 / iterations;
        if (ns < best)
            best = ns;
    }
    return best;
}

static void row(const char *name, long number, int fd, size_t size, long iterations, double *out)
{
    *out = measure(number, fd, size, iterations / (size > 4096 ? 10 : 1));
    printf("  %-22s %8.0f ns\n", name, *out);
}

static void all(const char *title, int fd, long iterations, double out[3])
{
    printf("%s\n", title);
    row("getppid", SYS_getppid, fd, 0, iterations, &out[0]);
    row("read 4 KiB /dev/zero", SYS_read, fd, 4096, iterations, &out[1]);
    row("read 64 KiB /dev/zero", SYS_read, fd, 65536, iterations, &out[2]);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bpf-bench OBJECT [ITERATIONS]\n");
        return 2;
    }
    long iterations = argc > 2 ? atol(argv[2]) : 1000000;
    FILE *file = fopen(argv[1], "rb");
    if (!file) {
        perror(argv[1]);
        return 1;
    }
    static char object[1 << 20];
    size_t size = fread(object, 1, sizeof(object), file);
    fclose(file);
    int fd = open("/dev/zero", O_RDONLY);
    pin(0);

    double native[3], unrecorded[3], recorded[3];
    all("native", fd, iterations, native);

    struct vp_bpf *bpf;
    char log[16384];
    int rc = vp_bpf_load(object, size, &bpf, log, sizeof(log));
    if (rc == 0)
        rc = vp_bpf_attach(bpf, log, sizeof(log));
    if (rc != 0) {
        fprintf(stderr, "bpf-bench: load/attach: %s\n%s\n", strerror(-rc), log);
        return 1;
    }
    // The table's rules for the calls measured: getppid writes nothing; read writes result
    // bytes at args[1], at most args[2].
    struct vp_rule nothing = { .flags = VP_RULE_DESCRIBED };
    struct vp_rule read_rule = { .flags = VP_RULE_DESCRIBED, .nouts = 1,
                                 .outs = { { .kind = VP_OUT_RET_BYTES, .arg = 1, .len_arg = 2 } } };
    vp_bpf_set_rule(bpf, SYS_getppid, &nothing);
    vp_bpf_set_rule(bpf, SYS_read, &read_rule);
    vp_bpf_open_ring(bpf, count_event, NULL);
    pthread_t drainer;
    pthread_create(&drainer, NULL, drain, bpf);

    all("attached, this process not recorded", fd, iterations, unrecorded);
    vp_bpf_add_tgid(bpf, getpid());
    all("attached, this process recorded", fd, iterations, recorded);
    vp_bpf_remove_tgid(bpf, getpid());

    atomic_store(&stop, 1);
    pthread_join(drainer, NULL);
    struct vp_counters counters;
    vp_bpf_counters(bpf, &counters);
    uint64_t missed = 0;
    vp_bpf_missed_runs(bpf, &missed);
    printf("events %llu, received %lu, ring drops %llu, copy failures %llu, missed runs %llu\n",
           (unsigned long long)counters.events, atomic_load(&received), (unsigned long long)counters.ring_drops,
           (unsigned long long)counters.copy_failures, (unsigned long long)missed);
    const char *names[3] = { "getppid", "read 4 KiB", "read 64 KiB" };
    for (int i = 0; i < 3; i++)
        printf("%-12s native %6.0f ns | unrecorded +%5.0f ns (%.2fx) | recorded +%5.0f ns (%.2fx)\n", names[i],
               native[i], unrecorded[i] - native[i], unrecorded[i] / native[i], recorded[i] - native[i],
               recorded[i] / native[i]);
    vp_bpf_close(bpf);
    return 0;
}
