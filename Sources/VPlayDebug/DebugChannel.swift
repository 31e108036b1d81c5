import Foundation
import VPlayGDB

/// Carries requests from the gdb server's thread to the tracer thread (which alone may make
/// ptrace requests for the replay) and their results back.
final class DebugChannel: @unchecked Sendable {
    enum Item {
        /// Work to run on the tracer thread.
        case work(() -> Void)
        /// Resume; `reply` gets the next stop.
        case resume(GDBResumeRequest, reply: (GDBStopEvent) -> Void)
        /// gdb killed the debuggee, detached, or went away: the session ends.
        case end
    }

    private let condition = NSCondition()
    private var items: [Item] = []
    private var interrupted = false

    func post(_ item: Item) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    func next() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        return items.removeFirst()
    }

    /// Runs `body` on the tracer thread and returns its result here.
    func call<T>(_ body: @escaping () throws -> T) throws -> T {
        let box = ResultBox<Result<T, Error>>()
        post(.work { box.set(Result { try body() }) })
        return try box.wait().get()
    }

    /// Resumes and waits for the next stop.
    func resume(_ request: GDBResumeRequest) -> GDBStopEvent {
        let box = ResultBox<GDBStopEvent>()
        post(.resume(request, reply: { box.set($0) }))
        return box.wait()
    }

    /// gdb's ^C: honoured at the next stop the replay makes.
    func interrupt() {
        condition.lock()
        interrupted = true
        condition.unlock()
    }

    func takeInterrupt() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let was = interrupted
        interrupted = false
        return was
    }
}

/// One result handed across threads.
final class ResultBox<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var value: T?

    func set(_ v: T) {
        value = v
        done.signal()
    }

    func wait() -> T {
        done.wait()
        // set() always stores before signalling.
        return value!
    }
}
