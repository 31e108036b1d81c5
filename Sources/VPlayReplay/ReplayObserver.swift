import VPlayBundle
import VPlayKernel

/// How a thread goes on when the replay resumes it.
public enum ReplayResume: Sendable {
    /// To its next syscall stop (or a trap, or a signal).
    case run
    /// One instruction. Over a `syscall` instruction, the whole call (as the log has it).
    case step
}

/// Lets a debugger take part in a replay. It is asked before every resumption of a replayed
/// thread (the moment to report a stop and wait for the user), except while a thread runs
/// through a filter stub, which its first trap there takes out and sees every SIGTRAP that the
/// log did not cause (its breakpoints, watchpoints and single steps). Calls come from the
/// tracer thread. Throwing from either ends the replay with that error (e.g. to restart it
/// for reverse execution).
public protocol ReplayObserver: AnyObject {
    /// `thread` is stopped and about to run for the log event at `replayer.index`; when
    /// `thread.signalToDeliver` is set, it is about to receive that recorded signal.
    func willResume(_ replayer: Replayer, thread: ReplayThread) throws -> ReplayResume
    /// A SIGTRAP stop of `thread` at `registers`. Return true when it is the observer's (the
    /// replay then resumes the thread as `willResume` says), false to let the replay handle it.
    func trapped(_ replayer: Replayer, thread: ReplayThread, registers: Registers, debugStatus: UInt64) throws -> Bool
    /// Whether `thread` may run to a point through a filter stub whose jump and relocated
    /// instructions take the place of the program's bytes `covering`: none of the observer's
    /// breakpoints lie there, and none of its debug registers is in use.
    func permitsFilterStub(_ replayer: Replayer, thread: ReplayThread, covering: Range<UInt64>) -> Bool
    /// The replayed process ended (after the recorded end).
    func ended(_ replayer: Replayer, status: WaitStatus) throws
}

/// Errors an observer throws to stop a replay that are not divergences.
public protocol ReplayInterruption: Error {}
