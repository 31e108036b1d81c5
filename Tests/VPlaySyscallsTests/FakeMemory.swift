import Testing
@testable import VPlaySyscalls

/// Tracee memory for tests: byte buffers at fixed addresses. Reads must fall inside one buffer.
final class FakeMemory: TraceeMemoryReader {
    struct Unmapped: Error, Equatable { let address: UInt64 }

    private(set) var buffers: [UInt64: [UInt8]] = [:]
    /// When set, every read returns this many bytes at most (to provoke short reads).
    var truncateReadsTo: Int?

    func read(address: UInt64, count: Int) throws -> [UInt8] {
        for (base, bytes) in buffers where address >= base && address - base + UInt64(count) <= UInt64(bytes.count) {
            let start = Int(address - base)
            let slice = Array(bytes[start ..< start + count])
            return truncateReadsTo.map { Array(slice.prefix($0)) } ?? slice
        }
        throw Unmapped(address: address)
    }

    func put(_ address: UInt64, _ bytes: [UInt8]) { buffers[address] = bytes }

    /// Little-endian fields, each (value, width in bytes), laid out back to back.
    func put(_ address: UInt64, fields: [(UInt64, Int)]) {
        put(address, fields.flatMap { value, width in (0 ..< width).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } })
    }

    /// An iovec array.
    func putIovecs(_ address: UInt64, _ iovecs: [(base: UInt64, length: UInt64)]) {
        put(address, fields: iovecs.flatMap { [($0.base, 8), ($0.length, 8)] })
    }

    /// A struct msghdr (56 bytes).
    func putMsghdr(_ address: UInt64, name: UInt64, namelen: UInt32, iov: UInt64, iovlen: UInt64,
                   control: UInt64, controllen: UInt64, flags: UInt32, msgLen: UInt32? = nil) {
        var fields: [(UInt64, Int)] = [(name, 8), (UInt64(namelen), 4), (0, 4), (iov, 8), (iovlen, 8),
                                       (control, 8), (controllen, 8), (UInt64(flags), 4), (0, 4)]
        if let msgLen { fields += [(UInt64(msgLen), 4), (0, 4)] }
        put(address, fields: fields)
    }
}

func regions(_ name: String, _ args: [UInt64], result: Int64, memory: FakeMemory = FakeMemory()) throws -> [WrittenRegion] {
    let number = try #require(SyscallTable.number(name), "no call named \(name)")
    return try SyscallTable.writtenRegions(number: number, args: args, result: result, memory: memory)
}

func region(_ address: UInt64, _ length: Int) -> WrittenRegion { WrittenRegion(address: address, length: length) }
