// SPDX-License-Identifier: GPL-2.0
// The syscall logger: for recorded processes only, one event per system call with a global
// sequence number, the arguments at entry, the result and the bytes the kernel wrote into user
// memory. Which bytes comes from the rules map, filled from the syscall table: this file holds
// no syscall knowledge. See docs/recording-paths.md.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "vplay_bpf_abi.h"

char LICENSE[] SEC("license") = "GPL";

// Recorded tgids, one bit each (a hash lookup cost every process on the host ~35 ns more per
// program than this inlined array lookup). The loader sets the root's bit through its mmap of
// the map; fork sets children's bits; the last thread's exit clears its process's bit.
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, VP_TGID_WORDS + 1);  // and VP_SWITCH_WORD
    __type(key, __u32);
    __type(value, __u64);
} recorded SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, VP_MAX_SYSCALLS);
    __type(key, __u32);
    __type(value, struct vp_rule);
} rules SEC(".maps");

// The out of each known command of a command-dependent call (kind VP_OUT_NONE: it writes nothing).
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, VP_MAX_COMMANDS);
    __type(key, struct vp_command_key);
    __type(value, struct vp_out);
} commands SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct vp_settings);
} settings SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct vp_counters);
} counters SEC(".maps");

// Where an event is assembled before it goes to the ring with its real length.
// The event as it goes out: header, the regions used, their bytes. The area holds the
// regions and then the data; twice the cap, so that a copy at any offset below the cap
// provably stays inside.
// After the area: the plan's bookkeeping (regions used, data bytes used), not sent.
struct scratch {
    struct vp_event event;
    struct vp_region regions[VP_MAX_REGIONS];
    __u8 data[VP_DATA_CAP * 2];
    __u32 n;
    __u32 used;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct scratch);
} scratch_space SEC(".maps");

// When a thread's current call first let other threads run, in the order of all events: a
// blocking call's entry goes into the log before what other threads did while it waited.
struct entry_mark {
    __u64 seq;
};

struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct entry_mark);
} entries SEC(".maps");

__u64 sequence = 1; // 0 is "no entry seen"

static __always_inline __u64 *recorded_word(__u32 tgid)
{
    __u32 key = tgid / 64;
    return bpf_map_lookup_elem(&recorded, &key);
}

// The count of switches into recorded threads, kept after the bitmap (VP_SWITCH_WORD).
static __always_inline __u64 *switch_count(void)
{
    __u32 key = VP_SWITCH_WORD;
    return bpf_map_lookup_elem(&recorded, &key);
}

static __always_inline bool is_recorded(__u32 tgid)
{
    __u64 *word = recorded_word(tgid);
    return word && (*word >> (tgid % 64)) & 1;
}

static __always_inline void read_args(struct pt_regs *regs, __u64 *args)
{
    args[0] = regs->di;
    args[1] = regs->si;
    args[2] = regs->dx;
    args[3] = regs->r10;
    args[4] = regs->r8;
    args[5] = regs->r9;
}

static __always_inline bool failed(__s64 ret) { return ret >= -4095 && ret <= -1; }

static __always_inline bool interrupted(__s64 ret)
{
    return ret == -4 || ret == -512 || ret == -513 || ret == -514 || ret == -516;
}

static __always_inline bool applies(const struct vp_out *out, __s64 ret)
{
    switch (out->when) {
    case VP_WHEN_SUCCESS: return !failed(ret);
    case VP_WHEN_SUCCESS_OR_EINTR: return !failed(ret) || interrupted(ret);
    case VP_WHEN_NOT_EFAULT: return ret != -14;
    case VP_WHEN_ERRNO: return ret == -(__s64)out->errno_value;
    case VP_WHEN_POSITIVE: return ret > 0;
    }
    return false;
}

// The length the rule gives, capped well below overflow (the copy is capped again later).
static __always_inline __u64 out_length(const struct vp_out *out, const __u64 *args, __s64 ret)
{
    __u64 bound = out->len_arg < 6 ? args[out->len_arg & 7] : 0;
    __u64 count = !failed(ret) && ret > 0 ? (__u64)ret : 0;
    switch (out->kind) {
    case VP_OUT_FIXED: return out->size;
    case VP_OUT_SIZE_ARG: return bound;
    case VP_OUT_COUNT_TIMES: return (__u64)(__u32)bound * out->size;
    case VP_OUT_RET_BYTES: return count < bound ? count : bound;
    case VP_OUT_RET_COUNT_TIMES:
        count = count < bound ? count : bound;
        return count > (1u << 24) ? (1ull << 40) : count * out->size;
    }
    return 0;
}

// Plans one written region: where its bytes will be and how many fit under the cap.
static __always_inline void add_region(struct scratch *s, __u64 addr, __u64 len)
{
    struct vp_event *e = &s->event;
    if (addr == 0 || len == 0)
        return;
    if (s->n >= VP_MAX_OUTS) {
        e->flags |= VP_EV_TRUNCATED; // no slot left: the bytes are not described
        return;
    }
    struct vp_region *r = &s->regions[s->n & (VP_MAX_REGIONS - 1)];
    __u32 used = s->used < VP_DATA_CAP ? s->used : VP_DATA_CAP;
    __u32 room = VP_DATA_CAP - used;
    __u32 take = len < room ? len : room;
    r->addr = addr;
    r->len = len > 0xffffffffull ? 0xffffffffu : len;
    r->data_offset = used;
    r->copied = take;
    r->err = 0;
    r->kind = VP_REGION_WRITTEN;
    if (take < len)
        e->flags |= VP_EV_TRUNCATED;
    s->used = used + take;
    s->n += 1;
}

// Where data byte `offset` goes: after the regions (`start`), bounded so that a copy of up to
// VP_DATA_CAP bytes provably stays inside the area (regions + twice the cap).
static __always_inline __u32 area_offset(__u32 start, __u32 offset)
{
    __u32 regions = VP_MAX_REGIONS * sizeof(struct vp_region);
    return (start < regions ? start : regions) + (offset & (VP_DATA_CAP - 1));
}

// The subprograms below are global (not inlined): the verifier checks each once, instead of
// every combination of rules, lengths and failures along the loops that call them.

// Plans the regions of one out-buffer rule of the call.
__noinline int plan_out(struct scratch *s, const struct vp_out *out)
{
    if (!s || !out)
        return 0;
    struct vp_event *e = &s->event;
    if (!applies(out, e->ret) || out->arg >= 6)
        return 0;
    __u64 addr = e->args[out->arg & 7];
    if (out->kind == VP_OUT_LENGTH_PTR) {
        // The kernel stored the length it wrote in the u32 at args[len_arg]; both the
        // buffer and that field are written, and nothing when either pointer is null.
        __u64 at = out->len_arg < 6 ? e->args[out->len_arg & 7] : 0;
        __u32 length = 0;
        if (addr == 0 || at == 0)
            return 0;
        if (bpf_probe_read_user(&length, sizeof(length), (const void *)at) == 0)
            add_region(s, addr, length < out->size ? length : out->size);
        else
            e->flags |= VP_EV_COPY_FAILED; // the buffer's length is unknown
        add_region(s, at, sizeof(length));
        return 0;
    }
    add_region(s, addr, out_length(out, e->args, e->ret));
    return 0;
}

// Copies written region i's bytes to `start` + its offset in the area after the event
// (the event goes out compact). Returns 1 when the copy failed.
__noinline int copy_region(struct scratch *s, __u32 i, __u32 start)
{
    if (!s || i >= VP_MAX_OUTS)
        return 0;
    struct vp_region *r = &s->regions[i & (VP_MAX_REGIONS - 1)];
    __u32 size = r->copied;
    if (size == 0)
        return 0;
    if (size > VP_DATA_CAP)
        size = VP_DATA_CAP;
    __u32 at = area_offset(start, r->data_offset);
    __u8 *base = (__u8 *)s->regions;
    long err = bpf_probe_read_user(base + at, size, (const void *)r->addr);
    if (!err)
        return 0;
    r->err = err;
    r->copied = 0;
    s->event.flags |= VP_EV_COPY_FAILED;
    return 1;
}

// Copies the input string at args[arg] (a path) into region s->n, after `used` data bytes,
// for the report.
__noinline int copy_string(struct scratch *s, __u32 arg, __u32 start)
{
    if (!s || arg >= 6 || s->n >= VP_MAX_REGIONS)
        return 0;
    struct vp_region *r = &s->regions[s->n & (VP_MAX_REGIONS - 1)];
    s->n += 1;
    __u32 used = s->used;
    r->addr = s->event.args[arg & 7];
    r->kind = VP_REGION_STRING;
    r->data_offset = used;
    r->len = 0;
    r->copied = 0;
    r->err = 0;
    if (used >= VP_DATA_CAP)
        return 0;
    __u32 at = area_offset(start, used);
    __u8 *base = (__u8 *)s->regions;
    long got = bpf_probe_read_user_str(base + at, VP_STRING_CAP, (const void *)r->addr);
    if (got <= 0) {
        r->err = got;
        return 0;
    }
    __u32 length = got - 1; // without the NUL
    if (length > VP_DATA_CAP - used)
        length = VP_DATA_CAP - used;
    r->len = length;
    r->copied = length;
    s->used = used + length;
    return 0;
}

// Plans and copies the regions the rule describes (and the command's out), then the input
// strings; returns the data length.
static __always_inline __u32 copy_outs(struct scratch *s, const struct vp_rule *rule,
                                       const struct vp_out *command, struct vp_counters *counters)
{
    struct vp_event *e = &s->event;
    s->n = 0;
    s->used = 0;
    for (int i = 0; i < VP_MAX_OUTS; i++) {
        if (i >= rule->nouts)
            break;
        plan_out(s, &rule->outs[i]);
    }
    if (command)
        plan_out(s, command);
    __u32 nouts = s->n;
    __u32 nall = nouts;
    for (int i = 0; i < 6; i++)
        if ((rule->strings & (1u << i)) && e->args[i] != 0)
            nall++;
    if (nall > VP_MAX_REGIONS)
        nall = VP_MAX_REGIONS;
    // Data starts right after the regions that go out.
    __u32 start = nall * sizeof(struct vp_region);
    for (int i = 0; i < VP_MAX_OUTS; i++) {
        if (i >= nouts)
            break;
        if (copy_region(s, i, start) && counters)
            counters->copy_failures++;
    }
    for (int i = 0; i < 6; i++)
        if ((rule->strings & (1u << i)) && e->args[i] != 0)
            copy_string(s, i, start);
    e->nregions = s->n < VP_MAX_REGIONS ? s->n : VP_MAX_REGIONS;
    return s->used < VP_DATA_CAP ? s->used : VP_DATA_CAP;
}

// Sends the assembled event; a full ring is counted per CPU and announced by the next event.
// The counters' account of one reservation.
static __always_inline void count_reservation(struct vp_counters *c, bool reserved)
{
    if (!c)
        return;
    if (reserved) {
        c->events++;
        c->unreported = 0;
    } else {
        c->ring_drops++;
        c->unreported++;
    }
}

static __always_inline void emit(struct scratch *s, __u32 data_len, struct vp_counters *c)
{
    struct vp_event *e = &s->event;
    e->seq = __sync_fetch_and_add(&sequence, 1);
    if (!e->entry_seq)
        e->entry_seq = e->seq;
    if (c && c->unreported) {
        e->flags |= VP_EV_DROPS_BEFORE;
        e->lost_before = c->unreported;
    }
    e->data_len = data_len;
    __u32 n = e->nregions > VP_MAX_REGIONS ? VP_MAX_REGIONS : e->nregions;
    __u64 size = sizeof(struct vp_event) + n * sizeof(struct vp_region) + data_len;
    if (size > sizeof(struct vp_event) + sizeof(s->regions) + VP_DATA_CAP)
        size = sizeof(struct vp_event) + sizeof(s->regions) + VP_DATA_CAP;
    barrier_var(size);
    // Waking the consumer costs an interrupt to its CPU per event (measured: most of the cost
    // of a logged call). The drain polls with a short timeout and the tracer drains at its
    // stops, so only a filling ring wakes it.
    __u64 wake = BPF_RB_NO_WAKEUP;
    long err = bpf_ringbuf_output(&events, s, size, wake);
    count_reservation(c, err == 0);
}

static __always_inline bool rule_stops(const struct vp_rule *rule, const struct vp_event *e)
{
    if (rule->stop == VP_STOP_ALWAYS)
        return true;
    if (rule->stop == VP_STOP_UNLESS_BITS && rule->stop_arg < 6)
        return (e->args[rule->stop_arg & 7] & rule->stop_mask) != rule->stop_mask;
    return false;
}

// The bytes of an incomplete event are still in the thread's memory until it runs user code
// again: a signal makes it stop before that (the tracer reads them and suppresses the signal).
static __always_inline void stop_for_tracer(struct vp_event *e)
{
    __u32 zero = 0;
    struct vp_settings *config = bpf_map_lookup_elem(&settings, &zero);
    if (config && config->stop_signal && bpf_send_signal_thread(config->stop_signal) == 0)
        e->flags |= VP_EV_STOPPED;
}

static __always_inline struct scratch *begin(__s64 nr)
{
    __u32 zero = 0;
    struct scratch *s = bpf_map_lookup_elem(&scratch_space, &zero);
    if (!s)
        return NULL;
    __u64 id = bpf_get_current_pid_tgid();
    struct vp_event *e = &s->event;
    e->tid = (__u32)id;
    e->tgid = id >> 32;
    e->nr = nr;
    e->flags = 0;
    e->nregions = 0;
    e->lost_before = 0;
    e->ret = 0;
    return s;
}

// Events that are not calls (a preemption, a stop marker) go straight into the ring: the exit
// program may be using the per-CPU scratch space on this CPU when a switch happens.

// The header of an event of `prev` that is not a call: number -1, its own counter value.
static __always_inline void fill_switch_event(struct vp_event *e, struct task_struct *prev, __u32 flags,
                                              struct vp_counters *c)
{
    __builtin_memset(e, 0, sizeof(struct vp_event));
    e->seq = __sync_fetch_and_add(&sequence, 1);
    e->entry_seq = e->seq;
    e->tid = prev->pid;
    e->tgid = prev->tgid;
    e->nr = -1;
    e->flags = flags;
    if (c && c->unreported) {
        e->flags |= VP_EV_DROPS_BEFORE;
        e->lost_before = c->unreported;
    }
}

// A recorded thread switched out in user mode: the ring gets its user registers, in the order
// of all events, so that replay runs it exactly that far before the threads that ran next, and
// its stack near sp, which tells that pass from others at the same registers.
struct preemption {
    struct vp_event event;
    struct vp_region region;
    struct vp_region stack_region;
    __u8 regs[VP_PT_REGS_SIZE];
    __u8 stack[VP_STACK_BELOW + VP_STACK_ABOVE];
};

static __always_inline void log_preemption(struct task_struct *prev, struct pt_regs *regs)
{
    __u32 zero = 0;
    struct vp_counters *c = bpf_map_lookup_elem(&counters, &zero);
    struct preemption *p = bpf_ringbuf_reserve(&events, sizeof(struct preemption), 0);
    if (!p) {
        count_reservation(c, false);
        return;
    }
    fill_switch_event(&p->event, prev, VP_EV_PREEMPTED, c);
    p->event.nregions = 2;
    p->event.data_len = VP_PT_REGS_SIZE + VP_STACK_BELOW + VP_STACK_ABOVE;
    __builtin_memset(&p->region, 0, sizeof(struct vp_region));
    p->region.len = VP_PT_REGS_SIZE;
    p->region.copied = VP_PT_REGS_SIZE;
    p->region.kind = VP_REGION_REGISTERS;
    p->region.err = bpf_probe_read_kernel(p->regs, VP_PT_REGS_SIZE, regs);
    // prev is the current task here: its user memory is the one bpf_probe_read_user reads.
    __u64 sp = p->region.err ? 0 : *(__u64 *)&p->regs[VP_PT_REGS_SP_OFFSET];
    __builtin_memset(&p->stack_region, 0, sizeof(struct vp_region));
    p->stack_region.addr = sp - VP_STACK_BELOW;
    p->stack_region.len = VP_STACK_BELOW + VP_STACK_ABOVE;
    p->stack_region.kind = VP_REGION_STACK;
    p->stack_region.data_offset = VP_PT_REGS_SIZE;
    long err = sp ? bpf_probe_read_user(p->stack, sizeof(p->stack), (void *)(sp - VP_STACK_BELOW)) : -14;
    p->stack_region.err = err;
    p->stack_region.copied = err ? 0 : sizeof(p->stack);
    bpf_ringbuf_submit(p, BPF_RB_NO_WAKEUP);
    count_reservation(c, true);
}

// A recorded thread stopped for its tracer: the tracer may handle the stop only after other
// threads ran on, so this says where in the order of all events the stop was.
static __always_inline void log_tracer_stop(struct task_struct *prev)
{
    __u32 zero = 0;
    struct vp_counters *c = bpf_map_lookup_elem(&counters, &zero);
    struct vp_event *e = bpf_ringbuf_reserve(&events, sizeof(struct vp_event), 0);
    if (!e) {
        count_reservation(c, false);
        return;
    }
    fill_switch_event(e, prev, VP_EV_TRACER_STOP, c);
    __u64 *switches = switch_count();
    e->ret = switches ? (__s64)*switches : -1;
    bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
    count_reservation(c, true);
}

// prev_state bits of a task stopped for its tracer or by a stop signal: the tracer sees those
// stops itself (a signal, an rdtsc trap, an interrupt) and logs them.
#define VP_TASK_STOPPED 0x4
#define VP_TASK_TRACED 0x8

// Every switch-out of a recorded thread of a process with more than one thread:
// - stopped for the tracer: a stop marker (log_tracer_stop);
// - in user mode (orig_ax -1: an interrupt, or an exception such as a page fault, entered the
//   kernel from user code): its registers go into the ring (log_preemption);
// - inside a call: the first such switch takes a counter value, and the call's exit carries it
//   as its entry. The recorded threads share one CPU, so a call that never switched out ran
//   without any other recorded thread running between its entry and its exit; its entry goes
//   right before its exit. (A sys_enter program would run for every call of every process on
//   the host; a switch is far rarer.)
// A switch on the way back to user mode after a call's exit needs nothing: the thread runs no
// user code before its next event.
SEC("tp_btf/sched_switch")
int BPF_PROG(vp_switch, bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
{
    if (is_recorded(next->tgid)) {
        __u64 *switches = switch_count();
        if (switches)
            __sync_fetch_and_add(switches, 1);
    }
    __u32 tgid = prev->tgid;
    if (!is_recorded(tgid))
        return 0;
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(prev);
    if (!regs)
        return 0;
    bool stopped = prev_state & (VP_TASK_STOPPED | VP_TASK_TRACED);
    bool threaded = BPF_CORE_READ(prev, signal, nr_threads) > 1;
    if (stopped && threaded)
        log_tracer_stop(prev);
    if ((long)regs->orig_ax == -1) {
        if (!stopped && threaded)
            log_preemption(prev, regs);
        return 0;
    }
    // Inside a call: orig_ax holds its number and ax still the -ENOSYS the entry put there (the
    // result is stored when the call returns, before its exit tracepoint).
    if ((long)regs->orig_ax < 0 || (long)regs->ax != -38)
        return 0;
    struct entry_mark *mark = bpf_task_storage_get(&entries, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
    if (mark && !mark->seq)
        mark->seq = __sync_fetch_and_add(&sequence, 1);
    return 0;
}

// The arguments are still in the registers at the exit (the calls that replace them, a
// successful exec and rt_sigreturn, have no arguments the log needs).
SEC("tp_btf/sys_exit")
int BPF_PROG(vp_sys_exit, struct pt_regs *regs, long ret)
{
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (!is_recorded(tgid))
        return 0;
    __s64 nr = regs->orig_ax;
    // A call that restored a register frame leaves orig_ax -1; so does a call numbered -1,
    // which fails with ENOSYS. The settings name the frame-restoring call (rt_sigreturn).
    if (nr == -1 && ret != -38) {
        __u32 zero = 0;
        struct vp_settings *config = bpf_map_lookup_elem(&settings, &zero);
        if (config && config->frame_restore_nr)
            nr = config->frame_restore_nr;
    }
    struct scratch *s = begin(nr);
    if (!s)
        return 0;
    __u32 zero = 0;
    struct vp_counters *c = bpf_map_lookup_elem(&counters, &zero);
    struct vp_event *e = &s->event;
    e->ret = ret;
    read_args(regs, e->args);
    struct entry_mark *mark = bpf_task_storage_get(&entries, bpf_get_current_task_btf(), 0, 0);
    e->entry_seq = 0;
    if (mark && mark->seq) {
        e->entry_seq = mark->seq;
        mark->seq = 0;
    }
    __u32 data_len = 0;
    __u32 key = (__u32)nr;
    struct vp_rule *rule = nr >= 0 && nr < VP_MAX_SYSCALLS ? bpf_map_lookup_elem(&rules, &key) : NULL;
    if (!rule || !(rule->flags & (VP_RULE_DESCRIBED | VP_RULE_NEEDS_TRACER | VP_RULE_UNSUPPORTED)))
        e->flags |= VP_EV_UNDESCRIBED;
    else if (rule->flags & VP_RULE_UNSUPPORTED)
        e->flags |= VP_EV_UNSUPPORTED;
    else if (rule->flags & VP_RULE_NEEDS_TRACER)
        e->flags |= VP_EV_NEEDS_TRACER;
    struct vp_out *command = NULL;
    if (rule && (rule->flags & VP_RULE_BY_COMMAND) && rule->cmd_arg < 6) {
        struct vp_command_key which = { .nr = (__u32)nr, .command = (__u32)e->args[rule->cmd_arg & 7] };
        command = bpf_map_lookup_elem(&commands, &which);
        if (!command)
            e->flags |= VP_EV_NEEDS_TRACER;
    }
    if (rule && (rule->flags & (VP_RULE_DESCRIBED | VP_RULE_NEEDS_TRACER)))
        data_len = copy_outs(s, rule, command, c); // a needs-tracer rule has no outs: its strings only
    if ((e->flags & (VP_EV_TRUNCATED | VP_EV_COPY_FAILED | VP_EV_NEEDS_TRACER)) || (rule && rule_stops(rule, e)))
        stop_for_tracer(e);
    emit(s, data_len, c);
    return 0;
}

// A new process of a recorded one is recorded from its first instruction (the tracepoint runs
// in the parent before the child can run). Threads share their tgid and need nothing.
SEC("tp_btf/sched_process_fork")
int BPF_PROG(vp_fork, struct task_struct *parent, struct task_struct *child)
{
    __u32 parent_tgid = BPF_CORE_READ(parent, tgid);
    __u32 child_tgid = BPF_CORE_READ(child, tgid);
    if (parent_tgid == child_tgid || !is_recorded(parent_tgid))
        return 0;
    __u64 *word = recorded_word(child_tgid);
    if (word)
        __sync_fetch_and_or(word, 1ull << (child_tgid % 64));
    return 0;
}

// The last thread of a process takes its tgid out of the map. (A thread that ends inside a
// call gets no event: the tracer sees exit and exit_group, and a thread killed inside a call
// ends with its process.)
SEC("tp_btf/sched_process_exit")
int BPF_PROG(vp_exit, struct task_struct *task)
{
    __u32 tgid = BPF_CORE_READ(task, tgid);
    if (!is_recorded(tgid))
        return 0;
    __u64 *word = recorded_word(tgid);
    if (word && BPF_CORE_READ(task, signal, live.counter) == 0)
        __sync_fetch_and_and(word, ~(1ull << (tgid % 64)));
    return 0;
}
