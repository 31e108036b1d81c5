import VPlayBundle
import VPlaySymbols

/// One frame of a thread's stack at the crash, innermost first.
public struct Frame: Equatable, Sendable {
    public var index: Int
    public var pc: UInt64
    public var location: CodeLocation
    /// How the frame was found: the thread's registers (frame 0), the callee's `.eh_frame`
    /// CFI, or the callee's frame pointer.
    public var method: UnwindMethod
}

/// A thread's backtrace at the crash and why the walk ended.
public struct ThreadBacktrace: Equatable, Sendable {
    public var tid: Int32
    /// The thread that received the fatal signal (or exited).
    public var crashed: Bool
    public var frames: [Frame]
    /// `outermost frame`, `no unwind information for 0x…`, …
    public var stop: String
    /// True when the walk reached the end of the stack rather than giving up.
    public var complete: Bool

    /// The methods that found the caller frames, in order of first use.
    public var methods: [UnwindMethod] {
        var seen: [UnwindMethod] = []
        for f in frames.dropFirst() where !seen.contains(f.method) { seen.append(f.method) }
        return seen
    }
}

/// Unwinds every thread of the crash record from its registers over the stacks saved at the crash.
struct Backtraces {
    let unwinder: Unwinder
    let locator: Locator
    let memory: SavedMemory

    func backtrace(of thread: ThreadSnapshot, crashed: Bool) -> ThreadBacktrace {
        let trace = unwinder.unwind(RegisterNames.unwindRegisters(thread.registers), memory: memory.read)
        let frames = trace.frames.enumerated().map { index, frame in
            Frame(index: index, pc: frame.pc, location: locator.locate(frame), method: frame.method)
        }
        return ThreadBacktrace(tid: thread.tid, crashed: crashed, frames: frames, stop: trace.stop.description,
                               complete: Self.isComplete(trace.stop))
    }

    private static func isComplete(_ stop: UnwindStop) -> Bool {
        switch stop {
        case .outermostFrame, .returnAddressZero: return true
        default: return false
        }
    }
}
