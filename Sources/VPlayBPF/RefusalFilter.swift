// The seccomp filter of the BPF recording path: it refuses rseq (ENOSYS, as rr does: the kernel
// would write the rseq area behind the log's back) and lets every other call run. The calls
// the tracer must look at stop by a signal from the logger instead (SyscallLogger), so that a
// program whose recorder dies runs on unchanged. docs/recording-paths.md.

import CVPlayBPF
import Glibc
import VPlayABI

public enum RefusalFilter {
    /// The filter as the raw `struct sock_filter` array seccomp(SECCOMP_SET_MODE_FILTER) takes.
    public static func build() throws -> [UInt8] {
        var out: UnsafeMutableRawPointer?
        let count = vp_refusal_filter(SyscallNumber.rseq, &out)
        guard count > 0, let out else {
            throw SyscallLoggerError.failed(step: "building the seccomp filter with libseccomp", errno: -count, log: "")
        }
        defer { free(out) }
        return Array(UnsafeRawBufferPointer(start: out, count: Int(count) * 8))
    }
}
