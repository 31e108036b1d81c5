// libbpf glue for the syscall logger (see cvplay_bpf.h). The object comes from memory:
// the build embeds it, so nothing has to be installed next to the binary.
#define _GNU_SOURCE
#include "cvplay_bpf.h"
#include <sched.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <seccomp.h>
#include <sys/syscall.h>

struct vp_bpf {
    struct bpf_object *object;
    struct bpf_link *links[8];
    int nlinks;
    struct ring_buffer *ring;
    int recorded_fd, rules_fd, commands_fd, counters_fd, events_fd;
    uint64_t *recorded; // the mmap of the recorded-tgid bitmap, shared with the programs
    int kick_fd;        // an eventfd that ends the drain's wait (vp_bpf_kick)
    int wait_fd;        // epoll over the ring's own epoll fd and kick_fd
};

// libbpf prints through one global function: collect its messages for the caller's error.
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char *log_buffer;
static size_t log_size, log_used;

static int collect(enum libbpf_print_level level, const char *format, va_list args)
{
    if (level == LIBBPF_DEBUG || !log_buffer || log_used + 1 >= log_size)
        return 0;
    int n = vsnprintf(log_buffer + log_used, log_size - log_used, format, args);
    if (n > 0)
        log_used += (size_t)n < log_size - log_used ? (size_t)n : log_size - log_used - 1;
    return n;
}

static void log_begin(char *log, size_t size)
{
    pthread_mutex_lock(&log_lock);
    log_buffer = log;
    log_size = size;
    log_used = 0;
    if (log && size)
        log[0] = 0;
    libbpf_set_print(collect);
}

static void log_end(void)
{
    libbpf_set_print(NULL);
    log_buffer = NULL;
    pthread_mutex_unlock(&log_lock);
}

static int map_fd(struct bpf_object *object, const char *name)
{
    struct bpf_map *map = bpf_object__find_map_by_name(object, name);
    return map ? bpf_map__fd(map) : -ENOENT;
}

int vp_bpf_load(const void *object, size_t size, struct vp_bpf **out, char *log, size_t log_size)
{
    *out = NULL;
    struct vp_bpf *bpf = calloc(1, sizeof(*bpf));
    if (!bpf)
        return -ENOMEM;
    bpf->kick_fd = bpf->wait_fd = -1;
    log_begin(log, log_size);
    LIBBPF_OPTS(bpf_object_open_opts, options, .object_name = "vplay_syscalls");
    bpf->object = bpf_object__open_mem(object, size, &options);
    int err = bpf->object ? 0 : -errno;
    if (!err)
        err = bpf_object__load(bpf->object);
    log_end();
    if (err) {
        vp_bpf_close(bpf);
        return err < 0 ? err : -EINVAL;
    }
    bpf->recorded_fd = map_fd(bpf->object, "recorded");
    bpf->rules_fd = map_fd(bpf->object, "rules");
    bpf->commands_fd = map_fd(bpf->object, "commands");
    bpf->counters_fd = map_fd(bpf->object, "counters");
    bpf->events_fd = map_fd(bpf->object, "events");
    if (bpf->recorded_fd < 0 || bpf->rules_fd < 0 || bpf->commands_fd < 0 || bpf->counters_fd < 0 || bpf->events_fd < 0) {
        vp_bpf_close(bpf);
        return -ENOENT;
    }
    void *bitmap = mmap(NULL, (VP_TGID_WORDS + 1) * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED,
                        bpf->recorded_fd, 0);
    if (bitmap == MAP_FAILED) {
        err = -errno;
        vp_bpf_close(bpf);
        return err;
    }
    bpf->recorded = bitmap;
    *out = bpf;
    return 0;
}

int vp_bpf_attach(struct vp_bpf *bpf, char *log, size_t log_size)
{
    struct bpf_program *program;
    int err = 0;
    log_begin(log, log_size);
    bpf_object__for_each_program(program, bpf->object) {
        if (bpf->nlinks == (int)(sizeof(bpf->links) / sizeof(bpf->links[0]))) {
            err = -E2BIG;
            break;
        }
        struct bpf_link *link = bpf_program__attach(program);
        if (!link) {
            err = -errno;
            break;
        }
        bpf->links[bpf->nlinks++] = link;
    }
    log_end();
    return err;
}

static int result(int rc) { return rc < 0 ? -errno : 0; }

int vp_bpf_set_settings(struct vp_bpf *bpf, const struct vp_settings *settings)
{
    int fd = map_fd(bpf->object, "settings");
    if (fd < 0)
        return fd;
    uint32_t zero = 0;
    return result(bpf_map_update_elem(fd, &zero, settings, BPF_ANY));
}

int vp_bpf_set_rule(struct vp_bpf *bpf, uint32_t number, const struct vp_rule *rule)
{
    return result(bpf_map_update_elem(bpf->rules_fd, &number, rule, BPF_ANY));
}

int vp_bpf_set_command(struct vp_bpf *bpf, uint32_t number, uint32_t command, const struct vp_out *out)
{
    struct vp_command_key key = { .nr = number, .command = command };
    return result(bpf_map_update_elem(bpf->commands_fd, &key, out, BPF_ANY));
}

// The programs change bits of the same words atomically (fork, exit): so does this side.
static int tgid_bit(uint32_t tgid, uint64_t *mask)
{
    if (tgid >= VP_TGID_WORDS * 64)
        return -ERANGE;
    *mask = 1ull << (tgid % 64);
    return 0;
}

int vp_bpf_add_tgid(struct vp_bpf *bpf, uint32_t tgid)
{
    uint64_t mask;
    int err = tgid_bit(tgid, &mask);
    if (!err)
        __atomic_fetch_or(&bpf->recorded[tgid / 64], mask, __ATOMIC_SEQ_CST);
    return err;
}

int vp_bpf_remove_tgid(struct vp_bpf *bpf, uint32_t tgid)
{
    uint64_t mask;
    int err = tgid_bit(tgid, &mask);
    if (!err)
        __atomic_fetch_and(&bpf->recorded[tgid / 64], ~mask, __ATOMIC_SEQ_CST);
    return err;
}

int vp_bpf_is_recorded(struct vp_bpf *bpf, uint32_t tgid)
{
    uint64_t mask;
    int err = tgid_bit(tgid, &mask);
    if (err)
        return err;
    return (__atomic_load_n(&bpf->recorded[tgid / 64], __ATOMIC_SEQ_CST) & mask) != 0;
}

uint64_t vp_bpf_switches(struct vp_bpf *bpf)
{
    return __atomic_load_n(&bpf->recorded[VP_SWITCH_WORD], __ATOMIC_SEQ_CST);
}

int vp_bpf_open_ring(struct vp_bpf *bpf, vp_bpf_event_fn callback, void *context)
{
    if (bpf->ring)
        return -EBUSY;
    bpf->ring = ring_buffer__new(bpf->events_fd, (ring_buffer_sample_fn)callback, context, NULL);
    if (!bpf->ring)
        return -errno;
    bpf->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    bpf->wait_fd = epoll_create1(EPOLL_CLOEXEC);
    if (bpf->kick_fd < 0 || bpf->wait_fd < 0)
        return -errno;
    struct epoll_event ring = { .events = EPOLLIN, .data.fd = ring_buffer__epoll_fd(bpf->ring) };
    struct epoll_event kick = { .events = EPOLLIN, .data.fd = bpf->kick_fd };
    if (epoll_ctl(bpf->wait_fd, EPOLL_CTL_ADD, ring.data.fd, &ring) < 0
        || epoll_ctl(bpf->wait_fd, EPOLL_CTL_ADD, bpf->kick_fd, &kick) < 0)
        return -errno;
    return 0;
}

int vp_bpf_wait(struct vp_bpf *bpf, int timeout_ms)
{
    if (!bpf->ring)
        return -EINVAL;
    // The programs wake the consumer only when the ring fills (each wakeup is an interrupt),
    // so the wait mostly ends by timeout or by a kick.
    struct epoll_event events[2];
    int ready = epoll_wait(bpf->wait_fd, events, 2, timeout_ms);
    if (ready < 0 && errno != EINTR)
        return -errno;
    uint64_t count;
    while (read(bpf->kick_fd, &count, sizeof(count)) == sizeof(count)) {}
    return 0;
}

int vp_bpf_consume(struct vp_bpf *bpf)
{
    if (!bpf->ring)
        return -EINVAL;
    return ring_buffer__consume(bpf->ring);
}

int vp_bpf_kick(struct vp_bpf *bpf)
{
    uint64_t one = 1;
    if (bpf->kick_fd < 0)
        return -EINVAL;
    return write(bpf->kick_fd, &one, sizeof(one)) == sizeof(one) || errno == EAGAIN ? 0 : -errno;
}

int vp_bpf_counters(struct vp_bpf *bpf, struct vp_counters *sum)
{
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0)
        return cpus < 0 ? cpus : -EINVAL;
    struct vp_counters *values = calloc((size_t)cpus, sizeof(*values));
    if (!values)
        return -ENOMEM;
    uint32_t zero = 0;
    int err = result(bpf_map_lookup_elem(bpf->counters_fd, &zero, values));
    memset(sum, 0, sizeof(*sum));
    for (int cpu = 0; !err && cpu < cpus; cpu++) {
        sum->events += values[cpu].events;
        sum->ring_drops += values[cpu].ring_drops;
        sum->copy_failures += values[cpu].copy_failures;
        sum->unreported += values[cpu].unreported;
    }
    free(values);
    return err;
}

int vp_bpf_missed_runs(struct vp_bpf *bpf, uint64_t *missed)
{
    struct bpf_program *program;
    *missed = 0;
    bpf_object__for_each_program(program, bpf->object) {
        struct bpf_prog_info info;
        uint32_t length = sizeof(info);
        memset(&info, 0, sizeof(info));
        if (bpf_obj_get_info_by_fd(bpf_program__fd(program), &info, &length) < 0)
            return -errno;
        *missed += info.recursion_misses;
    }
    return 0;
}

void vp_bpf_close(struct vp_bpf *bpf)
{
    if (!bpf)
        return;
    if (bpf->wait_fd >= 0)
        close(bpf->wait_fd);
    if (bpf->kick_fd >= 0)
        close(bpf->kick_fd);
    ring_buffer__free(bpf->ring);
    if (bpf->recorded)
        munmap(bpf->recorded, (VP_TGID_WORDS + 1) * sizeof(uint64_t));
    for (int i = 0; i < bpf->nlinks; i++)
        bpf_link__destroy(bpf->links[i]);
    bpf_object__close(bpf->object);
    free(bpf);
}

int vp_refusal_filter(int rseq_nr, void **out) {
    *out = NULL;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) return -ENOMEM;
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), rseq_nr, 0);
    int fd = -1;
    if (rc == 0) {
        fd = (int)syscall(SYS_memfd_create, "vplay-filter", 0);
        if (fd < 0) rc = -errno;
    }
    if (rc == 0) rc = seccomp_export_bpf(ctx, fd);
    seccomp_release(ctx);
    if (rc != 0) { if (fd >= 0) close(fd); return rc < 0 ? rc : -rc; }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % 8 != 0) { close(fd); return -EINVAL; }
    void *buffer = malloc((size_t)size);
    if (!buffer) { close(fd); return -ENOMEM; }
    ssize_t got = pread(fd, buffer, (size_t)size, 0);
    close(fd);
    if (got != size) { free(buffer); return -EIO; }
    *out = buffer;
    return (int)(size / 8);
}

int vp_bpf_pin_self(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set) == 0 ? 0 : -errno;
}
