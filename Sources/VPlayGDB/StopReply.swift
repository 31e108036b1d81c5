import Glibc

/// Encodes stop events as gdb stop-reply packets: `T<sig>` with `n:r;` pairs, `W<code>`,
/// `X<sig>`.
public enum StopReply {
    /// The reply text for `event`. `registers`, when given, supplies the expedited pc, sp and
    /// frame pointer so gdb need not ask for them.
    public static func encode(_ event: GDBStopEvent, registers: AMD64Registers? = nil) -> String {
        switch event.reason {
        case let .exited(code):
            return "W" + hexByte(UInt8(truncatingIfNeeded: code))
        case let .terminated(signal):
            return "X" + hexByte(GDBSignal.fromLinux(signal))
        default:
            return "T" + hexByte(GDBSignal.fromLinux(signal(of: event.reason)))
                + expedited(registers) + thread(event.thread) + reasonPair(event.reason)
        }
    }

    /// The Linux signal a non-final stop is reported with.
    static func signal(of reason: GDBStopReason) -> Int32 {
        switch reason {
        case let .signal(s): return s
        case .interrupted: return SIGINT
        default: return SIGTRAP
        }
    }

    private static func thread(_ tid: GDBThreadID?) -> String {
        guard let tid, tid > 0 else { return "" }
        return "thread:\(String(tid, radix: 16));"
    }

    private static func reasonPair(_ reason: GDBStopReason) -> String {
        switch reason {
        case .softwareBreakpoint: return "swbreak:;"
        case .hardwareBreakpoint: return "hwbreak:;"
        case let .watchpoint(kind, address):
            let name: String
            switch kind {
            case .write: name = "watch"
            case .read: name = "rwatch"
            case .access: name = "awatch"
            }
            return "\(name):\(String(address, radix: 16));"
        case .historyBegin: return "replaylog:begin;"
        case .historyEnd: return "replaylog:end;"
        default: return ""
        }
    }

    /// `06:rbp;07:rsp;10:rip;` as gdbserver expedites them.
    private static func expedited(_ r: AMD64Registers?) -> String {
        guard let r else { return "" }
        return [AMD64RegisterNumber.rbp, AMD64RegisterNumber.rsp, AMD64RegisterNumber.rip].map { n in
            hexByte(UInt8(n)) + ":" + Hex.encode(AMD64RegisterLayout.bytes(of: n, in: r) ?? []) + ";"
        }.joined()
    }

    static func hexByte(_ b: UInt8) -> String { Hex.encode([b]) }
}
