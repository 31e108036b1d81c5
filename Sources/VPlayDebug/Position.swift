import VPlayBundle
import VPlayGDB
import VPlayReplay

/// A point in a replay, found again by re-running it (replay is deterministic). Each time the
/// replay resumes a thread for a log event is a *natural resume*; they are numbered per thread
/// and are the same in every run. A point is the `ordinal`-th natural resume of `thread`, then
/// `steps` single steps (when known), or the first stop after it at `registers`.
struct Position: Equatable {
    var thread: Int32
    var ordinal: Int
    /// Instructions single-stepped since that resume; nil when the point was reached by running.
    var steps: Int?
    var registers: Registers

    var pc: UInt64 { registers.rip }
}

/// Why the replay is run again, and where it stops for the debugger.
enum SeekGoal {
    /// Stop at this point and report `reason`.
    case position(Position, report: GDBStopReason)
    /// Run with the debugger's breakpoints armed but silent up to `before`; then run again to the
    /// last breakpoint or watchpoint that triggered before it (the start of history when none).
    case lastTrap(before: Position)
    /// Count the single steps from the natural resume to `target` (which was reached by
    /// running), then stop `back` steps before it.
    case measure(Position, back: Int)
    /// Count the single steps from natural resume `ordinal` of `thread` to the next natural
    /// resume (across the syscall that ends that stretch); stop just before that syscall.
    case beforeSyscall(thread: Int32, ordinal: Int)
    /// From natural resume `ordinal`, single-step until watchpoint slot `slot` triggers, and
    /// stop just before the instruction that triggered it.
    case beforeWrite(thread: Int32, ordinal: Int, slot: Int, address: UInt64, kind: GDBWatchKind)
}

/// A trap recorded while seeking: the debugger's breakpoint or watchpoint.
struct RecordedTrap {
    var position: Position
    var reason: GDBStopReason
    var slot: Int?
}

/// Ends a replay run so that the driver starts another one with this goal.
struct RestartReplay: ReplayInterruption {
    var goal: SeekGoal
}
