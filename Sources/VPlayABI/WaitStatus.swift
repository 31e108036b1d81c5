// What waitpid reports of a task: exits, signals, and ptrace stops with their events.

import Glibc

public enum PtraceEvent: Int32, Sendable {
    case fork = 1, vfork = 2, clone = 3, exec = 4, vforkDone = 5, exit = 6, seccomp = 7, stop = 128
}

/// What waitpid reported for one task.
public enum WaitStatus: Equatable, Sendable {
    case exited(code: Int32)
    case signaled(signal: Int32, core: Bool)
    /// A syscall entry or exit stop (PTRACE_O_TRACESYSGOOD).
    case syscallStop
    /// A PTRACE_EVENT_* stop; `signal` is the stop signal (SIGTRAP, or the group-stop signal for .stop).
    case event(PtraceEvent, signal: Int32)
    /// A signal-delivery stop.
    case signalStop(signal: Int32)

    public init(raw status: Int32) {
        let low = status & 0x7f
        if low == 0 {
            self = .exited(code: (status >> 8) & 0xff)
        } else if (status & 0xff) == 0x7f {
            let sig = (status >> 8) & 0xff
            let event = (status >> 16) & 0xff
            if sig == (SIGTRAP | 0x80) {
                self = .syscallStop
            } else if event != 0, let ev = PtraceEvent(rawValue: event) {
                self = .event(ev, signal: sig)
            } else {
                self = .signalStop(signal: sig)
            }
        } else {
            self = .signaled(signal: low, core: (status & 0x80) != 0)
        }
    }

    public var isTerminal: Bool {
        switch self {
        case .exited, .signaled: return true
        default: return false
        }
    }
}
