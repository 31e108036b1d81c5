// The events the BPF programs log (struct vp_event, its regions and their bytes), decoded.

import CVPlayBPF

/// One system call of a recorded thread, as the kernel logged it.
public struct SyscallEvent: Sendable, Equatable {
    /// Ways an event is incomplete or special; none is ever silent.
    public struct Flags: OptionSet, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// The rules map has nothing for this number (not an x86_64 call).
        public static let undescribed = Flags(rawValue: UInt32(VP_EV_UNDESCRIBED))
        /// The table says the writes need code: the tracer must fetch them.
        public static let needsTracer = Flags(rawValue: UInt32(VP_EV_NEEDS_TRACER))
        /// The table cannot capture this call at all.
        public static let unsupported = Flags(rawValue: UInt32(VP_EV_UNSUPPORTED))
        /// Written bytes past the per-event cap were not copied.
        public static let truncated = Flags(rawValue: UInt32(VP_EV_TRUNCATED))
        /// A copy from user memory failed (e.g. a page that was not resident).
        public static let copyFailed = Flags(rawValue: UInt32(VP_EV_COPY_FAILED))
        /// Events of the same CPU were lost (ring full) before this one; see lostBefore.
        public static let dropsBefore = Flags(rawValue: UInt32(VP_EV_DROPS_BEFORE))
        /// Truncated or a copy failed, and the thread was sent the stop signal: it stops before
        /// running user code again, and the tracer can read the bytes itself (`completed`).
        public static let stopped = Flags(rawValue: UInt32(VP_EV_STOPPED))

        /// The flags that leave the written bytes unknown: the tracer must complete the event.
        public static let incomplete: Flags = [.undescribed, .needsTracer, .unsupported, .truncated, .copyFailed]

        public var description: String {
            let names: [(Flags, String)] = [(.undescribed, "undescribed"),
                                            (.needsTracer, "needsTracer"), (.unsupported, "unsupported"),
                                            (.truncated, "truncated"), (.copyFailed, "copyFailed"), (.dropsBefore, "dropsBefore"),
                                            (.stopped, "stopped")]
            return "[" + names.filter { contains($0.0) }.map(\.1).joined(separator: ",") + "]"
        }
    }

    /// A region the kernel wrote: `length` bytes at `address`, of which `bytes` were copied;
    /// or (`isInputString`) a string the call read, for the report, cut at VP_STRING_CAP.
    public struct Region: Sendable, Equatable {
        public let address: UInt64
        public let length: Int
        public let bytes: [UInt8]
        /// 0, or the negative errno of the failed copy (bytes is then empty).
        public let copyError: Int32
        public let isInputString: Bool

        public init(address: UInt64, length: Int, bytes: [UInt8], copyError: Int32, isInputString: Bool = false) {
            self.address = address
            self.length = length
            self.bytes = bytes
            self.copyError = copyError
            self.isInputString = isInputString
        }
    }

    public let sequence: UInt64
    /// The counter when the thread entered the call (== sequence when the entry was not seen).
    public let entrySequence: UInt64
    public let tid: Int32
    public let tgid: Int32
    public let number: Int
    public let args: [UInt64]
    public let result: Int64
    public let regions: [Region]
    public let flags: Flags
    /// With dropsBefore: how many events this CPU lost before this one.
    public let lostBefore: UInt32

    /// The event with the written regions the tracer read itself: no longer truncated, failed
    /// or waiting for the tracer (`stopped` stays, saying who completed it). The input strings are kept.
    public func completed(with written: [Region]) -> SyscallEvent {
        SyscallEvent(sequence: sequence, entrySequence: entrySequence, tid: tid, tgid: tgid, number: number, args: args, result: result,
                     regions: written + regions.filter(\.isInputString),
                     flags: flags.subtracting([.truncated, .copyFailed, .needsTracer]), lostBefore: lostBefore)
    }

    /// The regions the kernel wrote (not the input strings).
    public var written: [Region] { regions.filter { !$0.isInputString } }

    /// The input string at args[index] as the call read it ("" for a null pointer or a failed copy).
    public func inputString(arg index: Int) -> String {
        guard index < args.count, args[index] != 0,
              let region = regions.first(where: { $0.isInputString && $0.address == args[index] }) else { return "" }
        return String(decoding: region.bytes, as: UTF8.self)
    }
}

enum EventDecoding {
    enum Failure: Error, CustomStringConvertible {
        case short(size: Int, needed: Int)
        case badRegion(index: Int, offset: UInt32, copied: UInt32, dataLength: UInt32)
        var description: String {
            switch self {
            case .short(let size, let needed):
                return "ring record of \(size) bytes is shorter than its \(needed)-byte event"
            case .badRegion(let index, let offset, let copied, let dataLength):
                return "region \(index) claims bytes \(offset)..<\(offset + copied) of a \(dataLength)-byte payload"
            }
        }
    }

    static func decode(_ record: UnsafeRawBufferPointer) throws -> SyscallEvent {
        let headerSize = MemoryLayout<vp_event>.size
        guard record.count >= headerSize, let base = record.baseAddress else {
            throw Failure.short(size: record.count, needed: headerSize)
        }
        let event = base.loadUnaligned(as: vp_event.self)
        let count = Int(event.nregions)
        let regionSize = MemoryLayout<vp_region>.size
        let dataStart = headerSize + count * regionSize
        guard count <= Int(VP_MAX_REGIONS), record.count >= dataStart + Int(event.data_len) else {
            throw Failure.short(size: record.count, needed: dataStart + Int(event.data_len))
        }
        let data = UnsafeRawBufferPointer(rebasing: record[dataStart ..< dataStart + Int(event.data_len)])
        var regions: [SyscallEvent.Region] = []
        for index in 0 ..< count {
            let region = base.loadUnaligned(fromByteOffset: headerSize + index * regionSize, as: vp_region.self)
            let end = UInt64(region.data_offset) + UInt64(region.copied)
            guard end <= UInt64(event.data_len) else {
                throw Failure.badRegion(index: index, offset: region.data_offset, copied: region.copied, dataLength: event.data_len)
            }
            let bytes = Array(data[Int(region.data_offset) ..< Int(end)])
            regions.append(.init(address: region.addr, length: Int(region.len), bytes: bytes, copyError: Int32(region.err),
                                 isInputString: region.kind == VP_REGION_STRING))
        }
        let flags = SyscallEvent.Flags(rawValue: event.flags)
        let args = withUnsafeBytes(of: event.args) { Array($0.bindMemory(to: UInt64.self)) }
        return SyscallEvent(sequence: event.seq, entrySequence: event.entry_seq, tid: Int32(bitPattern: event.tid), tgid: Int32(bitPattern: event.tgid),
                            number: Int(event.nr), args: args, result: event.ret,
                            regions: regions, flags: flags, lostBefore: event.lost_before)
    }
}
