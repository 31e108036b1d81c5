// The records shared by the BPF programs (bpf/syscalls.bpf.c) and their loader (loader.c):
// the out-buffer rules the syscall table hands to BPF, and the events BPF hands back.
// docs/recording-paths.md describes the design and the measured costs.
#ifndef VPLAY_BPF_ABI_H
#define VPLAY_BPF_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

// Words of the recorded-tgid bitmap: one bit for every pid up to PID_MAX_LIMIT (4M on 64-bit).
#define VP_TGID_WORDS (4194304 / 64)
// The word after the bitmap counts switches into recorded threads. A tracer-stop marker carries
// its value (in `ret`): when it has changed by the time the tracer reads the stopped thread's
// memory, another thread ran in between and may have written there.
#define VP_SWITCH_WORD VP_TGID_WORDS
// Syscall numbers the rules map covers (x86_64 numbers are below 512).
#define VP_MAX_SYSCALLS 512
// Out-buffer rules per call (getresuid has three).
#define VP_MAX_OUTS 4
// Regions per event: the outs, then the input strings (a power of two, for the verifier).
#define VP_MAX_REGIONS 8
// Bytes of user memory copied into one event; longer writes are truncated and marked.
#define VP_DATA_CAP 4096
// Bytes of one input string (a path) copied for the report; a longer one is cut there.
#define VP_STRING_CAP 1024

// vp_out.kind: how the length of one written region is found. The address is args[arg].
enum vp_out_kind {
    VP_OUT_NONE = 0,
    VP_OUT_FIXED = 1,           // `size` bytes
    VP_OUT_SIZE_ARG = 2,        // args[len_arg] bytes
    VP_OUT_COUNT_TIMES = 3,     // (u32)args[len_arg] elements of `size` bytes
    VP_OUT_RET_BYTES = 4,       // result bytes, at most args[len_arg]
    VP_OUT_RET_COUNT_TIMES = 5, // result elements of `size` bytes, at most args[len_arg]
    VP_OUT_LENGTH_PTR = 6,      // the u32 at args[len_arg] bytes (at most `size`), and that u32
};

// vp_out.when: for which results the region is written.
enum vp_out_when {
    VP_WHEN_SUCCESS = 0,          // result not in -4095..-1
    VP_WHEN_SUCCESS_OR_EINTR = 1, // also when interrupted (EINTR, ERESTART*)
    VP_WHEN_NOT_EFAULT = 2,       // any result but -EFAULT
    VP_WHEN_ERRNO = 3,            // only when result == -errno_value
    VP_WHEN_POSITIVE = 4,         // only when result > 0
};

struct vp_out {
    __u8 kind;
    __u8 arg;
    __u8 len_arg;
    __u8 when;
    __u32 size;
    __s32 errno_value;
};

// vp_rule.flags
#define VP_RULE_DESCRIBED (1u << 0)    // the outs describe every write of the call
#define VP_RULE_NEEDS_TRACER (1u << 1) // writes need code (iovecs, msghdr, clone3...): the tracer
#define VP_RULE_UNSUPPORTED (1u << 2)  // the table cannot capture the call at all
#define VP_RULE_BY_COMMAND (1u << 3)   // args[cmd_arg] selects the write: the commands map has
                                       // the out of each known command; others need the tracer

// Entries of the commands map (the fcntl, ioctl and prctl commands the table knows).
#define VP_MAX_COMMANDS 1024

struct vp_command_key {
    __u32 nr;
    __u32 command;  // (u32)args[cmd_arg]
};

// vp_rule.stop: when the thread is sent the stop signal after the call, for the tracer
#define VP_STOP_NEVER 0
#define VP_STOP_ALWAYS 1
#define VP_STOP_UNLESS_BITS 2  // unless args[stop_arg] has every bit of stop_mask

struct vp_rule {
    __u32 flags;
    __u32 nouts;
    struct vp_out outs[VP_MAX_OUTS];
    __u32 strings;  // bit i: args[i] is an input string (a path), copied for the report
    __u8 stop;
    __u8 stop_arg;
    __u8 cmd_arg;   // with VP_RULE_BY_COMMAND: the argument that holds the command
    __u8 reserved;
    __u64 stop_mask;
};

// vp_event.flags: every way an event can be incomplete is marked, never silent.
// (Events of calls are logged at the exit only, with the arguments still in the registers; a
// call no thread returns from has no event.)
#define VP_EV_PREEMPTED (1u << 0)     // not a call: the thread was switched out in user mode
                                      // (preempted, or blocked in a page fault); nr is -1, the
                                      // first region (VP_REGION_REGISTERS) holds its struct
                                      // pt_regs, the second (VP_REGION_STACK) its stack near sp
#define VP_EV_TRACER_STOP (1u << 1)   // not a call: the thread stopped for its tracer (nr -1, no
                                      // regions); what the tracer logs at that stop goes here
#define VP_EV_UNDESCRIBED (1u << 2)   // the rules map has no rule for this number
#define VP_EV_NEEDS_TRACER (1u << 3)  // the table says the tracer must fetch the writes
#define VP_EV_UNSUPPORTED (1u << 4)   // the table says the call cannot be captured
#define VP_EV_TRUNCATED (1u << 5)     // written bytes beyond VP_DATA_CAP were not copied
#define VP_EV_COPY_FAILED (1u << 6)   // bpf_probe_read_user failed (page not resident...)
#define VP_EV_DROPS_BEFORE (1u << 7)  // events of this CPU were lost (ring full) before this one
#define VP_EV_STOPPED (1u << 8)       // the thread was sent the settings' stop signal (the event
                                      // is truncated, a copy failed, it needs the tracer, or the
                                      // rule stops it): it stops before it runs user code again,
                                      // so that the tracer reads the bytes itself

// The one entry of the "settings" map, set by the loader.
struct vp_settings {
    __u32 stop_signal;      // 0: incomplete events stay marked; else sent to the thread (SIGSTOP)
    __u32 frame_restore_nr; // the call an exit with orig_ax -1 (and not ENOSYS) was: rt_sigreturn
};

// vp_region.kind
#define VP_REGION_WRITTEN 0  // bytes the kernel wrote (an out of the rule)
#define VP_REGION_STRING 1   // an input string the call read, without its NUL; `len` == `copied`,
                             // cut at VP_STRING_CAP or at the data cap
#define VP_REGION_REGISTERS 2  // a preempted thread's user registers (struct pt_regs, address 0)
#define VP_REGION_STACK 3  // a preempted thread's stack around its sp, [sp - VP_STACK_BELOW,
                           // sp + VP_STACK_ABOVE): it tells apart passes of a loop whose
                           // registers repeat (err set and nothing copied where it faulted)
// The size of struct pt_regs on x86_64: r15 … ss, the first 21 words of user_regs_struct.
#define VP_PT_REGS_SIZE 168
// Where sp lies in struct pt_regs.
#define VP_PT_REGS_SP_OFFSET 152
// The stack sampled at a preemption: the red zone below sp and the words above it, where a
// small frame keeps its locals (the same stretch the tracer fingerprints at a signal).
#define VP_STACK_BELOW 128
#define VP_STACK_ABOVE 192

// vp_region.err: 0, or the negative error of the copy. `copied` bytes of `len` are in data.
struct vp_region {
    __u64 addr;
    __u32 len;
    __u32 copied;
    __s16 err;
    __u16 kind;
    __u32 data_offset;
};

struct vp_event {
    __u64 seq;          // global order of events (one atomic counter for every CPU), at the exit
    __u64 entry_seq;    // the same counter at the entry (== seq when the entry was not seen)
    __u32 tid;
    __u32 tgid;
    __s64 nr;
    __u64 args[6];
    __s64 ret;
    __u32 flags;
    __u32 nregions;
    __u32 lost_before;  // with VP_EV_DROPS_BEFORE: how many events this CPU lost
    __u32 data_len;
    // followed by nregions struct vp_region (the written ones, then the strings), then
    // data_len bytes: the regions' copies (region i's at its data_offset). A call that
    // writes and reads nothing is 104 bytes.
};

// Per-CPU counters (the "counters" map, one value per CPU).
struct vp_counters {
    __u64 events;         // events written to the ring
    __u64 ring_drops;     // events lost because the ring was full
    __u64 copy_failures;  // regions whose copy failed
    __u64 unreported;     // drops not yet announced by a VP_EV_DROPS_BEFORE
};

#endif
