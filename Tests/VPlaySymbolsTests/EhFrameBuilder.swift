// Builds .eh_frame bytes by hand for the CFI tests: one CIE and its FDEs, laid out the way
// GCC emits them.

enum EhFrameBuilder {
    static func uleb(_ value: UInt64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        repeat {
            var byte = UInt8(v & 0x7f)
            v >>= 7
            if v != 0 { byte |= 0x80 }
            out.append(byte)
        } while v != 0
        return out
    }

    static func sleb(_ value: Int64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        while true {
            let byte = UInt8(v & 0x7f)
            v >>= 7
            if (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0) { return out + [byte] }
            out.append(byte | 0x80)
        }
    }

    static func le(_ value: UInt64, _ width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    /// A record: 4-byte length, then the body padded with DW_CFA_nop to a multiple of 4.
    static func record(_ body: [UInt8]) -> [UInt8] {
        let padded = body + Array(repeating: 0, count: (4 - body.count % 4) % 4)
        return le(UInt64(padded.count), 4) + padded
    }

    /// The CIE x86-64 GCC emits: code alignment 1, data alignment -8, return address in
    /// column 16, CFA = rsp+8 and the return address at CFA-8 on entry.
    static func cie(augmentation: String = "zR", augmentationData: [UInt8] = [0x1b],
                    initial: [UInt8] = [0x0c, 0x07, 0x08, 0x90, 0x01]) -> [UInt8] {
        var body = le(0, 4) + [1] + Array(augmentation.utf8) + [0]
        body += uleb(1) + sleb(-8) + [16]
        if augmentation.hasPrefix("z") { body += uleb(UInt64(augmentationData.count)) + augmentationData }
        return record(body + initial)
    }

    struct FDE {
        var begin: UInt64
        var size: UInt64
        var instructions: [UInt8]
        var augmentationData: [UInt8] = []
    }

    /// A section at `address` holding `cie` at offset 0 and then the FDEs, whose addresses
    /// are pc-relative sdata4 (encoding 0x1b), and the zero terminator.
    static func section(address: UInt64, cie: [UInt8] = cie(), fdes: [FDE], pointerSize: Int = 4,
                        absolute: Bool = false) -> [UInt8] {
        var bytes = cie
        for fde in fdes {
            let start = bytes.count
            let ciePointer = le(UInt64(start + 4), 4)
            let beginField = address + UInt64(start + 8)
            let begin = absolute ? fde.begin : fde.begin &- beginField
            var body = ciePointer + le(begin, pointerSize) + le(fde.size, pointerSize)
            body += uleb(UInt64(fde.augmentationData.count)) + fde.augmentationData + fde.instructions
            bytes += record(body)
        }
        return bytes + le(0, 4)
    }
}
