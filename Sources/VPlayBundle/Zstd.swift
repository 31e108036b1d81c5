import CVPlay
import Glibc

/// One-shot zstd over byte arrays. Frames always carry their content size (ZSTD_compress does
/// that), which the reader checks against the parts table before allocating.
enum Zstd {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func compress(_ input: [UInt8], level: Int32 = 3) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        return try input.withUnsafeBytes { src in
            try [UInt8](unsafeUninitializedCapacity: bound) { dst, count in
                let r = ZSTD_compress(dst.baseAddress, bound, src.baseAddress, src.count, level)
                guard ZSTD_isError(r) == 0 else { count = 0; throw Failure(description: errorName(r)) }
                count = r
            }
        }
    }

    static func decompress(_ input: [UInt8], expectedSize: Int) throws -> [UInt8] {
        let declared = input.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        // UInt64.max and max-1 are ZSTD_CONTENTSIZE_UNKNOWN / _ERROR (macros Swift does not import).
        guard declared < UInt64.max - 1 else { throw Failure(description: "not a zstd frame with a known size") }
        guard declared == UInt64(expectedSize) else {
            throw Failure(description: "zstd frame holds \(declared) bytes, parts table says \(expectedSize)")
        }
        // A lying size must not make us allocate what cannot exist: zstd cannot expand one stored
        // byte into more than ~43,000, and nothing larger than physical memory can be held anyway.
        guard expectedSize / 65536 <= input.count, expectedSize <= physicalMemory() else {
            throw Failure(description: "implausible uncompressed size \(expectedSize) for \(input.count) stored bytes")
        }
        return try input.withUnsafeBytes { src in
            try [UInt8](unsafeUninitializedCapacity: expectedSize) { dst, count in
                count = 0
                let r = ZSTD_decompress(dst.baseAddress, expectedSize, src.baseAddress, src.count)
                guard ZSTD_isError(r) == 0 else { throw Failure(description: errorName(r)) }
                guard r == expectedSize else { throw Failure(description: "decompressed \(r) bytes, expected \(expectedSize)") }
                count = r
            }
        }
    }

    private static func errorName(_ code: Int) -> String {
        String(cString: ZSTD_getErrorName(code))
    }

    private static func physicalMemory() -> Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return Int.max }
        return pages.multipliedReportingOverflow(by: size).overflow ? Int.max : pages * size
    }
}
