import VPlayABI

/// A `rep movs` or `rep stos`: one instruction that an interrupt can stop between two of its
/// iterations, with rip still on it and rcx, rsi, rdi part-way. A thread preempted there was
/// never at that state at the instruction's start, so a point there is reached by running the
/// right number of iterations from a pass's start (`iterations(from:to:)`). Iterations need no
/// condition to go on, so that number follows from the registers alone (unlike `repe cmps`).
public struct RepeatedString: Equatable, Sendable {
    public enum Operation: Equatable, Sendable {
        /// movs: copies [rsi] to [rdi].
        case move
        /// stos: stores rax's low bytes to [rdi].
        case store
    }

    public let operation: Operation
    /// Bytes per iteration: 1, 2, 4 or 8.
    public let elementSize: UInt64

    public init(operation: Operation, elementSize: UInt64) {
        self.operation = operation
        self.elementSize = elementSize
    }

    /// Encodings of the registers the iterations change (rcx, rdi, and rsi for movs): a filter
    /// stub leaves them out of its compare.
    public var changedRegisters: Set<UInt8> { operation == .move ? [1, 6, 7] : [1, 7] }

    /// How many iterations take a thread from `start`, at the instruction before its first
    /// iteration, to `target`, between two iterations of the same execution; nil when `target`
    /// is not a state this execution passes through.
    public func iterations(from start: Registers, to target: Registers) -> UInt64? {
        guard start.rip == target.rip, target.rcx > 0, start.rcx > target.rcx else { return nil }
        let count = start.rcx - target.rcx
        let distance = count &* elementSize
        let downwards = target.eflags & Self.directionFlag != 0
        let advanced = { (address: UInt64) in downwards ? address &- distance : address &+ distance }
        var expected = start
        expected.rcx = target.rcx
        expected.rdi = advanced(start.rdi)
        if operation == .move { expected.rsi = advanced(start.rsi) }
        return expected.generalPurpose == target.generalPurpose ? count : nil
    }

    static let directionFlag: UInt64 = 1 << 10
}
