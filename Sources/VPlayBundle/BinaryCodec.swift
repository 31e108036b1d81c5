// Little-endian binary encodings of pages.bin and log.bin (layouts in docs/bundle-format.md).
// Built for speed on long logs: one growing [UInt8] when writing, one unsafe cursor when reading,
// no per-field allocations.

struct EncodeFailure: Error, CustomStringConvertible { let description: String }
struct DecodeFailure: Error, CustomStringConvertible { let description: String }

struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

    /// u32 element count; throws rather than truncating a count that does not fit.
    mutating func count32(_ n: Int, of what: String) throws {
        guard let c = UInt32(exactly: n) else { throw EncodeFailure(description: "\(what) has \(n) elements, more than 2^32-1") }
        u32(c)
    }

    mutating func blob32(_ b: [UInt8], of what: String) throws {
        try count32(b.count, of: what)
        bytes.append(contentsOf: b)
    }

    mutating func string(_ s: String) throws {
        try count32(s.utf8.count, of: "string")
        bytes.append(contentsOf: s.utf8)
    }

    /// The 27 words of user_regs_struct.
    mutating func registers(_ r: Registers) { for word in r.words { u64(word) } }
}

/// A bounds-checked cursor: every read checks the remaining length first, so no input traps.
struct ByteReader {
    let base: UnsafeRawBufferPointer
    var offset = 0

    init(_ base: UnsafeRawBufferPointer) { self.base = base }

    var remaining: Int { base.count - offset }
    var atEnd: Bool { offset == base.count }

    mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= remaining else {
            throw DecodeFailure(description: "needs \(n) bytes at offset \(offset), only \(remaining) left")
        }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: base[offset..<offset + n])
    }

    mutating func u8() throws -> UInt8 { try take(1)[0] }
    mutating func u32() throws -> UInt32 { UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self)) }
    mutating func u64() throws -> UInt64 { UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self)) }
    mutating func i32() throws -> Int32 { Int32(bitPattern: try u32()) }
    mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }

    mutating func bool() throws -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        case let b: throw DecodeFailure(description: "flag byte \(b) at offset \(offset - 1) is neither 0 nor 1")
        }
    }

    mutating func blob32() throws -> [UInt8] { Array(try take(Int(try u32()))) }

    /// u32 count then that many u64 words; the length check happens before any allocation.
    mutating func words32() throws -> [UInt64] {
        let raw = try take(Int(try u32()) * 8)
        return (0..<raw.count / 8).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
    }

    /// The 27 words of user_regs_struct.
    mutating func registers() throws -> Registers {
        let raw = try take(27 * 8)
        let words = (0..<27).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
        guard let registers = Registers(words: words) else { throw DecodeFailure(description: "bad register block") }
        return registers
    }

    mutating func string() throws -> String {
        let at = offset
        let raw = try take(Int(try u32()))
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw DecodeFailure(description: "string at offset \(at) is not valid UTF-8")
        }
        return s
    }
}

/// pages.bin: a sequence of runs, each `u64 address, u64 length, length bytes`, to the end.
enum PageCodec {
    static func encode(_ runs: [PageRun]) -> [UInt8] {
        var w = ByteWriter(capacity: runs.reduce(0) { $0 + 16 + $1.bytes.count })
        for run in runs {
            w.u64(run.address)
            w.u64(UInt64(run.bytes.count))
            w.bytes.append(contentsOf: run.bytes)
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> [PageRun] {
        try bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            var runs: [PageRun] = []
            while !r.atEnd {
                let address = try r.u64(), length = try r.u64()
                guard length <= UInt64(r.remaining) else {
                    throw DecodeFailure(description: "run #\(runs.count) at 0x\(String(address, radix: 16)) claims \(length) bytes, only \(r.remaining) left")
                }
                runs.append(PageRun(address: address, bytes: Array(try r.take(Int(length)))))
            }
            return runs
        }
    }
}

/// objects.bin: `u64 count`, then per object `u64 length` + UTF-8 path, `u64 length` + build id
/// (length 0: none), `u64 length` + the file's bytes.
enum ObjectCodec {
    static func encode(_ objects: [BundledObject]) -> [UInt8] {
        var w = ByteWriter(capacity: objects.reduce(8) { $0 + 24 + $1.path.utf8.count + $1.bytes.count + 40 })
        w.u64(UInt64(objects.count))
        for o in objects {
            for field in [Array(o.path.utf8), Array((o.buildID ?? "").utf8), o.bytes] {
                w.u64(UInt64(field.count))
                w.bytes.append(contentsOf: field)
            }
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> [BundledObject] {
        try bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            let count = try r.u64()
            var objects: [BundledObject] = []
            while UInt64(objects.count) < count {
                var fields: [[UInt8]] = []
                for what in ["path", "build id", "contents"] {
                    let length = try r.u64()
                    guard length <= UInt64(r.remaining) else {
                        throw DecodeFailure(description: "object #\(objects.count): \(what) claims \(length) bytes, only \(r.remaining) left")
                    }
                    fields.append(Array(try r.take(Int(length))))
                }
                let id = String(decoding: fields[1], as: UTF8.self)
                objects.append(BundledObject(path: String(decoding: fields[0], as: UTF8.self), buildID: id.isEmpty ? nil : id, bytes: fields[2]))
            }
            guard r.atEnd else { throw DecodeFailure(description: "\(r.remaining) bytes after the last object") }
            return objects
        }
    }
}

/// log.bin: `u64 count`, then `count` events, each a tag byte, `i32 tid`, `u64 time`, then
/// the case's fields. Nothing may follow the last event.
enum LogCodec {
    enum Tag: UInt8 {
        case syscallEntry = 1, syscallExit = 2, signal = 3, rdtsc = 4, threadStart = 5, processEnd = 6, asyncPoint = 7, preemption = 8
    }

    /// tag + tid + time: the smallest possible event, used to bound the reserved capacity.
    static let minimumEventSize = 13

    static func encode(_ events: [LogEvent]) throws -> [UInt8] {
        var w = ByteWriter(capacity: 8 + events.count * 64)
        w.u64(UInt64(events.count))
        for event in events { try encode(event, into: &w) }
        return w.bytes
    }

    private static func encode(_ event: LogEvent, into w: inout ByteWriter) throws {
        func head(_ tag: Tag) { w.u8(tag.rawValue); w.i32(event.tid); w.u64(event.time) }
        switch event {
        case let .syscallEntry(_, _, number, args, strings):
            head(.syscallEntry)
            w.i32(number)
            try w.count32(args.count, of: "syscall arguments")
            for a in args { w.u64(a) }
            try w.count32(strings.count, of: "syscall strings")
            for s in strings { try w.string(s) }
        case let .syscallExit(_, _, number, result, writes):
            head(.syscallExit)
            w.i32(number)
            w.i64(result)
            try w.count32(writes.count, of: "memory writes")
            for m in writes {
                w.u64(m.address)
                try w.blob32(m.bytes, of: "memory write")
            }
        case let .signal(_, _, signal, siginfo, registers, synchronous):
            head(.signal)
            w.i32(signal)
            try w.blob32(siginfo, of: "siginfo")
            w.registers(registers)
            w.u8(synchronous ? 1 : 0)
        case let .rdtsc(_, _, pc, value, aux):
            head(.rdtsc)
            w.u64(pc)
            w.u64(value)
            w.u8(aux == nil ? 0 : 1)
            if let aux { w.u32(aux) }
        case let .threadStart(_, _, parent):
            head(.threadStart)
            w.i32(parent)
        case let .processEnd(_, _, status):
            head(.processEnd)
            w.i32(status)
        case let .asyncPoint(_, _, cpuNanos, ranges, fingerprint):
            head(.asyncPoint)
            w.u64(cpuNanos)
            try w.count32(ranges.count, of: "fingerprint ranges")
            for r in ranges { w.u64(r) }
            w.u64(fingerprint)
        case let .preemption(_, _, registers):
            head(.preemption)
            w.registers(registers)
        }
    }

    static func decode(_ bytes: [UInt8]) throws -> [LogEvent] {
        try bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            let count = try r.u64()
            guard count <= UInt64(r.remaining / minimumEventSize) else {
                throw DecodeFailure(description: "header claims \(count) events, more than \(r.remaining) bytes can hold")
            }
            var events: [LogEvent] = []
            events.reserveCapacity(Int(count))
            for index in 0..<Int(count) {
                let start = r.offset
                do {
                    events.append(try decodeEvent(&r))
                } catch let failure as DecodeFailure {
                    throw DecodeFailure(description: "event #\(index) at offset \(start): \(failure.description)")
                }
            }
            guard r.atEnd else { throw DecodeFailure(description: "\(r.remaining) unexpected bytes after event #\(count)") }
            return events
        }
    }

    private static func decodeEvent(_ r: inout ByteReader) throws -> LogEvent {
        let tagByte = try r.u8()
        guard let tag = Tag(rawValue: tagByte) else { throw DecodeFailure(description: "unknown event tag \(tagByte)") }
        let tid = try r.i32(), time = try r.u64()
        switch tag {
        case .syscallEntry:
            let number = try r.i32(), args = try r.words32()
            let n = Int(try r.u32())
            // Each string needs at least its 4-byte length: reject absurd counts before reserving.
            guard n <= r.remaining / 4 else { throw DecodeFailure(description: "\(n) strings cannot fit in \(r.remaining) bytes") }
            var strings: [String] = []
            strings.reserveCapacity(n)
            for _ in 0..<n { strings.append(try r.string()) }
            return .syscallEntry(tid: tid, time: time, number: number, args: args, strings: strings)
        case .syscallExit:
            let number = try r.i32(), result = try r.i64()
            let n = Int(try r.u32())
            guard n <= r.remaining / 12 else { throw DecodeFailure(description: "\(n) memory writes cannot fit in \(r.remaining) bytes") }
            var writes: [MemoryWrite] = []
            writes.reserveCapacity(n)
            for _ in 0..<n { writes.append(MemoryWrite(address: try r.u64(), bytes: try r.blob32())) }
            return .syscallExit(tid: tid, time: time, number: number, result: result, writes: writes)
        case .signal:
            let signal = try r.i32(), siginfo = try r.blob32()
            return .signal(tid: tid, time: time, signal: signal, siginfo: siginfo, registers: try r.registers(), synchronous: try r.bool())
        case .rdtsc:
            let pc = try r.u64(), value = try r.u64()
            let aux: UInt32? = try r.bool() ? try r.u32() : nil
            return .rdtsc(tid: tid, time: time, pc: pc, value: value, aux: aux)
        case .threadStart:
            return .threadStart(tid: tid, time: time, parent: try r.i32())
        case .processEnd:
            return .processEnd(tid: tid, time: time, status: try r.i32())
        case .asyncPoint:
            let cpuNanos = try r.u64(), ranges = try r.words32()
            return .asyncPoint(tid: tid, time: time, cpuNanos: cpuNanos, ranges: ranges, fingerprint: try r.u64())
        case .preemption:
            return .preemption(tid: tid, time: time, registers: try r.registers())
        }
    }
}
