// The events the BPF programs log (struct vp_event, its regions and their bytes), decoded.

import CVPlayBPF
import VPlayABI

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
        /// Not a call: the thread was switched out in user mode (`preemptedRegisters`).
        public static let preempted = Flags(rawValue: UInt32(VP_EV_PREEMPTED))
        /// Not a call: the thread stopped for its tracer, here in the order of all events.
        public static let tracerStop = Flags(rawValue: UInt32(VP_EV_TRACER_STOP))

        /// The flags that leave the written bytes unknown: the tracer must complete the event.
        public static let incomplete: Flags = [.undescribed, .needsTracer, .unsupported, .truncated, .copyFailed]

        public var description: String {
            let names: [(Flags, String)] = [(.undescribed, "undescribed"),
                                            (.needsTracer, "needsTracer"), (.unsupported, "unsupported"),
                                            (.truncated, "truncated"), (.copyFailed, "copyFailed"), (.dropsBefore, "dropsBefore"),
                                            (.stopped, "stopped"), (.preempted, "preempted"), (.tracerStop, "tracerStop")]
            return "[" + names.filter { contains($0.0) }.map(\.1).joined(separator: ",") + "]"
        }
    }

    /// A region the kernel wrote: `length` bytes at `address`, of which `bytes` were copied;
    /// or a string the call read, for the report, cut at VP_STRING_CAP; or a preempted thread's
    /// registers (struct pt_regs).
    public struct Region: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case written, inputString, registers, stack }
        public let address: UInt64
        public let length: Int
        public let bytes: [UInt8]
        /// 0, or the negative errno of the failed copy (bytes is then empty).
        public let copyError: Int32
        public let kind: Kind
        public var isInputString: Bool { kind == .inputString }

        public init(address: UInt64, length: Int, bytes: [UInt8], copyError: Int32, kind: Kind = .written) {
            self.address = address
            self.length = length
            self.bytes = bytes
            self.copyError = copyError
            self.kind = kind
        }
    }

    public let sequence: UInt64
    /// The counter when the thread entered the call (== sequence when the entry was not seen).
    public let entrySequence: UInt64
    public let tid: Int32
    public let tgid: Int32
    public let number: Int
    public let result: Int64
    public let flags: Flags
    /// With dropsBefore: how many events this CPU lost before this one.
    public let lostBefore: UInt32
    /// A tracer-stop marker's count of switches into recorded threads at the stop
    /// (`SyscallLogger.switches`).
    public var switchesAtStop: UInt64? { flags.contains(.tracerStop) && result >= 0 ? UInt64(result) : nil }
    // The drain decodes hundreds of thousands of events a second, and most windows are dropped
    // unread: the arguments stay inline, and the regions stay in the ring's own layout
    // (vp_region descriptors, then their bytes) until someone asks for them. An event without
    // regions allocates nothing.
    private let argWords: ArgWords
    private let packed: [UInt8]

    struct ArgWords: Sendable, Equatable {
        var a0, a1, a2, a3, a4, a5: UInt64
        init(_ w: [UInt64]) {
            func at(_ i: Int) -> UInt64 { i < w.count ? w[i] : 0 }
            (a0, a1, a2, a3, a4, a5) = (at(0), at(1), at(2), at(3), at(4), at(5))
        }
        init(_ t: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)) { (a0, a1, a2, a3, a4, a5) = t }
        var array: [UInt64] { [a0, a1, a2, a3, a4, a5] }
    }

    public init(sequence: UInt64, entrySequence: UInt64, tid: Int32, tgid: Int32, number: Int, args: [UInt64], result: Int64,
                regions: [Region], flags: Flags, lostBefore: UInt32) {
        self.init(sequence: sequence, entrySequence: entrySequence, tid: tid, tgid: tgid, number: number, argWords: ArgWords(args),
                  result: result, packed: RegionPacking.pack(regions), flags: flags, lostBefore: lostBefore)
    }

    init(sequence: UInt64, entrySequence: UInt64, tid: Int32, tgid: Int32, number: Int, argWords: ArgWords, result: Int64,
         packed: [UInt8], flags: Flags, lostBefore: UInt32) {
        (self.sequence, self.entrySequence, self.tid, self.tgid, self.number) = (sequence, entrySequence, tid, tgid, number)
        (self.argWords, self.result, self.packed, self.flags, self.lostBefore) = (argWords, result, packed, flags, lostBefore)
    }

    /// The six argument registers.
    public var args: [UInt64] { argWords.array }

    /// args[0] without building the array.
    public var firstArg: UInt64 { argWords.a0 }

    /// The written regions, then the input strings (decoded on each access).
    public var regions: [Region] { RegionPacking.unpack(packed) }

    /// Bytes copied into the event (the regions' data).
    public var copiedBytes: Int { RegionPacking.dataLength(packed) }

    /// The event with the written regions the tracer read itself: no longer truncated, failed
    /// or waiting for the tracer (`stopped` stays, saying who completed it). The input strings are kept.
    public func completed(with written: [Region]) -> SyscallEvent {
        SyscallEvent(sequence: sequence, entrySequence: entrySequence, tid: tid, tgid: tgid, number: number, argWords: argWords,
                     result: result, packed: RegionPacking.pack(written + regions.filter(\.isInputString)),
                     flags: flags.subtracting([.truncated, .copyFailed, .needsTracer]), lostBefore: lostBefore)
    }

    /// The regions the kernel wrote (not the input strings).
    public var written: [Region] { regions.filter { $0.kind == .written } }

    /// A preempted thread's user registers (general-purpose, rip, eflags; the segment bases
    /// unknown, 0), or nil for a call.
    public var preemptedRegisters: Registers? {
        guard flags.contains(.preempted), let r = regions.first(where: { $0.kind == .registers }),
              r.copyError == 0, r.bytes.count >= Int(VP_PT_REGS_SIZE) else { return nil }
        let words = r.bytes.withUnsafeBytes { raw in
            (0 ..< Int(VP_PT_REGS_SIZE) / 8).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
        }
        return Registers(words: words + [UInt64](repeating: 0, count: 27 - words.count))
    }

    /// A preempted thread's stack near sp as it was at the switch (start address, bytes), or nil
    /// where the copy faulted.
    public var preemptedStack: (address: UInt64, bytes: [UInt8])? {
        guard flags.contains(.preempted), let r = regions.first(where: { $0.kind == .stack }),
              r.copyError == 0, r.bytes.count == r.length, !r.bytes.isEmpty else { return nil }
        return (r.address, r.bytes)
    }

    /// The input string at args[index] as the call read it ("" for a null pointer or a failed copy).
    public func inputString(arg index: Int) -> String {
        let args = self.args
        guard index < args.count, args[index] != 0,
              let region = regions.first(where: { $0.isInputString && $0.address == args[index] }) else { return "" }
        return String(decoding: region.bytes, as: UTF8.self)
    }
}

/// Regions in the ring's layout: a count, vp_region descriptors (data_offset relative to the
/// data), then the data.
enum RegionPacking {
    static let countSize = MemoryLayout<UInt32>.size
    static let regionSize = MemoryLayout<vp_region>.size

    static func pack(_ regions: [SyscallEvent.Region]) -> [UInt8] {
        guard !regions.isEmpty else { return [] }
        var descriptors: [vp_region] = []
        var data: [UInt8] = []
        for r in regions {
            var d = vp_region()
            d.addr = r.address
            d.len = UInt32(clamping: r.length)
            d.copied = UInt32(r.bytes.count)
            d.err = Int16(clamping: r.copyError)
            switch r.kind {
            case .written: d.kind = UInt16(VP_REGION_WRITTEN)
            case .inputString: d.kind = UInt16(VP_REGION_STRING)
            case .registers: d.kind = UInt16(VP_REGION_REGISTERS)
            case .stack: d.kind = UInt16(VP_REGION_STACK)
            }
            d.data_offset = UInt32(data.count)
            descriptors.append(d)
            data += r.bytes
        }
        let body = descriptors.withUnsafeBytes { Array($0) } + data
        return body.withUnsafeBytes { pack(count: regions.count, body: $0) }
    }

    /// The layout from `count` descriptors followed by their data, as the ring holds them.
    static func pack(count: Int, body: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: countSize + body.count) { buffer, initialized in
            let out = UnsafeMutableRawBufferPointer(buffer)
            out.storeBytes(of: UInt32(count), as: UInt32.self)
            UnsafeMutableRawBufferPointer(rebasing: out[countSize...]).copyMemory(from: body)
            initialized = countSize + body.count
        }
    }

    static func count(_ packed: [UInt8]) -> Int {
        packed.count < countSize ? 0 : Int(packed.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
    }

    static func dataLength(_ packed: [UInt8]) -> Int {
        packed.isEmpty ? 0 : packed.count - countSize - count(packed) * regionSize
    }

    /// Valid by construction (pack) or by the check in EventDecoding.decode.
    static func unpack(_ packed: [UInt8]) -> [SyscallEvent.Region] {
        let n = count(packed)
        guard n > 0 else { return [] }
        let dataStart = countSize + n * regionSize
        return packed.withUnsafeBytes { raw in
            (0 ..< n).map { index in
                let d = raw.loadUnaligned(fromByteOffset: countSize + index * regionSize, as: vp_region.self)
                let from = dataStart + Int(d.data_offset)
                let kind: SyscallEvent.Region.Kind
                switch Int32(d.kind) {
                case VP_REGION_STRING: kind = .inputString
                case VP_REGION_REGISTERS: kind = .registers
                case VP_REGION_STACK: kind = .stack
                default: kind = .written
                }
                return SyscallEvent.Region(address: d.addr, length: Int(d.len), bytes: Array(raw[from ..< from + Int(d.copied)]),
                                           copyError: Int32(d.err), kind: kind)
            }
        }
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
        for index in 0 ..< count {
            let region = base.loadUnaligned(fromByteOffset: headerSize + index * regionSize, as: vp_region.self)
            guard UInt64(region.data_offset) + UInt64(region.copied) <= UInt64(event.data_len) else {
                throw Failure.badRegion(index: index, offset: region.data_offset, copied: region.copied, dataLength: event.data_len)
            }
        }
        // The ring's regions and data as they are, behind their count (one allocation, none without regions).
        let packed = count == 0 ? [] : RegionPacking.pack(
            count: count, body: UnsafeRawBufferPointer(rebasing: record[headerSize ..< dataStart + Int(event.data_len)]))
        return SyscallEvent(sequence: event.seq, entrySequence: event.entry_seq, tid: Int32(bitPattern: event.tid),
                            tgid: Int32(bitPattern: event.tgid), number: Int(event.nr), argWords: .init(event.args),
                            result: event.ret, packed: packed, flags: SyscallEvent.Flags(rawValue: event.flags),
                            lostBefore: event.lost_before)
    }
}
