import Glibc

/// A failed kernel request: what was asked, of which task, and the errno it gave.
public struct KernelError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let pid: Int32
    public let errno: Int32
    public let hint: String?

    public init(_ operation: String, pid: Int32, errno: Int32, hint: String? = nil) {
        self.operation = operation
        self.pid = pid
        self.errno = errno
        self.hint = hint
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        let base = "\(operation) failed for pid \(pid): \(reason) (errno \(errno))"
        return hint.map { "\(base); \($0)" } ?? base
    }
}

/// A problem in what a traced process presented (unexpected state, unparsable /proc data).
public struct TraceError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Turns a shim's "0 or -errno" convention into a thrown KernelError.
@inline(__always)
func check(_ result: Int32, _ operation: @autoclosure () -> String, pid: Int32) throws {
    if result < 0 { throw KernelError(operation(), pid: pid, errno: -result) }
}
