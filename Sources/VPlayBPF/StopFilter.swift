// The seccomp filter of the BPF recording path: the tracer is stopped (SECCOMP_RET_TRACE) only
// for calls the logger cannot log completely. Built from the same rules the logger gets.
// docs/recording-paths.md, "The recorder on the BPF path".

import CVPlayBPF
import Glibc
import VPlayABI
import VPlaySyscalls

public enum StopFilter {
    /// Calls that stop the tracer even though the logger describes them: the recorder acts on
    /// them (an exit of the whole process decides a capture; a grown file mapping is read),
    /// or no thread returns from them, so the logger (at exits only) never sees them.
    static let alwaysStopped: Set<Int32> = [SyscallNumber.exit, SyscallNumber.exit_group, SyscallNumber.mremap]

    /// Numbers whose events the logger completes by itself: the filter lets them run.
    public static func loggedNumbers() -> [Int32] {
        SyscallTable.kernelWriteRules().compactMap { entry -> Int32? in
            guard case .described = entry.rule, entry.number < Int(VP_MAX_SYSCALLS),
                  RuleEncoding.encode(entry.rule) != nil else { return nil }
            let number = Int32(entry.number)
            return alwaysStopped.contains(number) ? nil : number
        }
    }

    /// The filter as the raw `struct sock_filter` array seccomp(SECCOMP_SET_MODE_FILTER) takes.
    public static func build() throws -> [UInt8] {
        let allowed = loggedNumbers().map { Int($0) }.map(Int32.init)
        var out: UnsafeMutableRawPointer?
        let count = allowed.withUnsafeBufferPointer {
            vp_trace_filter($0.baseAddress, Int32($0.count), SyscallNumber.mmap, SyscallNumber.rseq, &out)
        }
        guard count > 0, let out else {
            throw SyscallLoggerError.failed(step: "building the seccomp stop filter with libseccomp", errno: -count, log: "")
        }
        defer { free(out) }
        return Array(UnsafeRawBufferPointer(start: out, count: Int(count) * 8))
    }
}
