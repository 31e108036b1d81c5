// Loading and driving the BPF syscall logger through libbpf (CO-RE). No logic beyond libbpf
// calls; the Swift wrapper (VPlayBPF) gives it types and errors. Functions return 0 or a
// negative errno; `log` buffers receive libbpf's own message (the verifier's, on a refusal).
#ifndef CVPLAY_BPF_H
#define CVPLAY_BPF_H

#include <stddef.h>
#include <stdint.h>
#include "vplay_bpf_abi.h"

struct vp_bpf;

// Opens the object in memory and loads its programs and maps into the kernel.
int vp_bpf_load(const void *object, size_t size, struct vp_bpf **out, char *log, size_t log_size);
// Attaches every program; until then nothing is logged.
int vp_bpf_attach(struct vp_bpf *bpf, char *log, size_t log_size);
int vp_bpf_set_rule(struct vp_bpf *bpf, uint32_t number, const struct vp_rule *rule);
// The out of one known command of a VP_RULE_BY_COMMAND call (kind VP_OUT_NONE: no write).
int vp_bpf_set_command(struct vp_bpf *bpf, uint32_t number, uint32_t command, const struct vp_out *out);
int vp_bpf_add_tgid(struct vp_bpf *bpf, uint32_t tgid);
// The one entry of the settings map (struct vp_settings).
int vp_bpf_set_settings(struct vp_bpf *bpf, const struct vp_settings *settings);
int vp_bpf_remove_tgid(struct vp_bpf *bpf, uint32_t tgid);
// 1 when recorded, 0 when not, negative errno on failure.
int vp_bpf_is_recorded(struct vp_bpf *bpf, uint32_t tgid);
// Switches into recorded threads so far (VP_SWITCH_WORD).
uint64_t vp_bpf_switches(struct vp_bpf *bpf);

// The event callback gets each ring record; a non-zero return stops the current poll.
typedef int (*vp_bpf_event_fn)(void *context, void *data, size_t size);
int vp_bpf_open_ring(struct vp_bpf *bpf, vp_bpf_event_fn callback, void *context);
// Waits up to timeout_ms for a wakeup (sent only when the ring fills) or a kick: 0 or a
// negative errno. It consumes nothing.
int vp_bpf_wait(struct vp_bpf *bpf, int timeout_ms);
// Delivers every record in the ring to the callback: the count, or a negative errno. One
// thread at a time (the caller serializes).
int vp_bpf_consume(struct vp_bpf *bpf);
// Ends the current or next vp_bpf_wait at once (from any thread).
int vp_bpf_kick(struct vp_bpf *bpf);
// The counters summed over CPUs.
int vp_bpf_counters(struct vp_bpf *bpf, struct vp_counters *sum);
// Runs the kernel skipped because a program was already running on the CPU (recursion).
int vp_bpf_missed_runs(struct vp_bpf *bpf, uint64_t *missed);
// Detaches, frees the ring and unloads. NULL is allowed.
void vp_bpf_close(struct vp_bpf *bpf);

// The recorder's seccomp filter on the BPF path, built with libseccomp: rseq fails with ENOSYS
// (the kernel would write the rseq area without a syscall); everything else runs. Nothing in it
// depends on the tracer, so a program whose recorder died runs on as before.
// *out receives malloc'd struct sock_filter instructions (free them); returns their count or a
// negative errno.
int vp_refusal_filter(int rseq_nr, void **out);

// Pins the calling thread to one CPU: 0 or a negative errno.
int vp_bpf_pin_self(int cpu);

#endif
