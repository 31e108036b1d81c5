/// A Common Information Entry: what the FDEs that point at it share.
struct CommonInformationEntry: Sendable {
    var codeAlignment: UInt64
    var dataAlignment: Int64
    var returnAddressRegister: Int
    /// The 'R' augmentation: how FDE addresses are encoded (absptr when absent).
    var pointerEncoding: UInt8
    /// 'z': FDEs carry augmentation data (an LSDA pointer) to skip.
    var hasAugmentationData: Bool
    /// 'S': the frames are signal trampolines; the caller's pc is not a return address.
    var isSignalFrame: Bool
    var instructions: Range<Int>
}

/// A Frame Description Entry: the call-frame program of one range of code.
public struct FrameDescription: Equatable, Sendable {
    /// Offset of the entry in `.eh_frame`.
    public var offset: Int
    /// The code it describes, in the object's link-time addresses.
    public var pcRange: Range<UInt64>
    var cieIndex: Int
    var instructions: Range<Int>
}

/// The call-frame information of one object, decoded from its `.eh_frame` bytes: every FDE,
/// sorted by address, and the rules in effect at any address (`row(at:)`).
public struct CallFrameInfo: Sendable {
    /// The link-time address of the first `.eh_frame` byte (pc-relative pointers need it).
    public let address: UInt64
    let bytes: [UInt8]
    let cies: [CommonInformationEntry]
    /// All FDEs with a non-empty range, by start address.
    public let descriptions: [FrameDescription]

    /// Decodes every CIE and FDE. Throws on the first record that cannot be decoded.
    public init(ehFrame bytes: [UInt8], address: UInt64) throws(CFIError) {
        self.address = address
        self.bytes = bytes
        var parser = RecordParser(bytes: bytes, address: address)
        try parser.parseAll()
        cies = parser.cies
        descriptions = parser.fdes.sorted { $0.pcRange.lowerBound < $1.pcRange.lowerBound }
    }

    /// The FDE whose range holds `pc` (a link-time address).
    public func description(covering pc: UInt64) -> FrameDescription? {
        var low = 0, high = descriptions.count
        while low < high {
            let mid = (low + high) / 2
            if descriptions[mid].pcRange.lowerBound <= pc { low = mid + 1 } else { high = mid }
        }
        // Ranges do not overlap in linked objects; look a few back in case they do.
        var i = low - 1
        while i >= 0 && i >= low - 4 {
            if descriptions[i].pcRange.contains(pc) { return descriptions[i] }
            i -= 1
        }
        return nil
    }

    /// The unwind rules in effect at `pc` (a link-time address), nil when no FDE covers it.
    public func row(at pc: UInt64) throws(CFIError) -> UnwindRow? {
        guard let fde = description(covering: pc) else { return nil }
        return try row(of: fde, at: pc)
    }

    /// The rules of `fde` in effect at `pc`: the CIE's initial program, then the FDE's
    /// program up to the first location past `pc`.
    public func row(of fde: FrameDescription, at pc: UInt64) throws(CFIError) -> UnwindRow {
        let cie = cies[fde.cieIndex]
        var machine = CFAMachine(cie: cie, start: fde.pcRange.lowerBound)
        try machine.run(DWARFCursor(bytes, baseAddress: address, offset: cie.instructions.lowerBound,
                                    end: cie.instructions.upperBound), until: nil)
        machine.finishInitialInstructions()
        try machine.run(DWARFCursor(bytes, baseAddress: address, offset: fde.instructions.lowerBound,
                                    end: fde.instructions.upperBound), until: pc)
        return machine.row
    }
}

/// Walks the records of an `.eh_frame` section: length, CIE id or CIE pointer, body.
private struct RecordParser {
    let bytes: [UInt8]
    let address: UInt64
    var cies: [CommonInformationEntry] = []
    var cieIndexByOffset: [Int: Int] = [:]
    var fdes: [FrameDescription] = []

    init(bytes: [UInt8], address: UInt64) {
        self.bytes = bytes
        self.address = address
    }

    mutating func parseAll() throws(CFIError) {
        var offset = 0
        while bytes.count - offset >= 4 {
            guard let (idOffset, end) = try recordBounds(at: offset) else { return }
            var cursor = DWARFCursor(bytes, baseAddress: address, offset: idOffset, end: end)
            let id = try cursor.unsigned(4, "CIE id")
            if id == 0 {
                _ = try cie(at: offset)
            } else {
                try parseFDE(&cursor, recordOffset: offset, ciePointer: Int(id), idOffset: idOffset)
            }
            offset = end
        }
    }

    /// The offset of a record's id field and the end of the record; nil for the zero terminator.
    private func recordBounds(at offset: Int) throws(CFIError) -> (Int, Int)? {
        var cursor = DWARFCursor(bytes, offset: offset)
        var length = try cursor.unsigned(4, "record length")
        if length == 0 { return nil }
        if length == 0xffff_ffff { length = try cursor.unsigned(8, "64-bit record length") }
        guard length >= 4, length <= UInt64(cursor.remaining) else {
            throw .truncated(what: "record of length \(length)", offset: offset)
        }
        return (cursor.offset, cursor.offset + Int(length))
    }

    /// The CIE starting at `offset`, decoded once.
    private mutating func cie(at offset: Int) throws(CFIError) -> Int {
        if let index = cieIndexByOffset[offset] { return index }
        guard let (idOffset, end) = try recordBounds(at: offset) else {
            throw .malformed(what: "CIE pointer to the terminator", offset: offset)
        }
        var cursor = DWARFCursor(bytes, baseAddress: address, offset: idOffset, end: end)
        guard try cursor.unsigned(4, "CIE id") == 0 else { throw .malformed(what: "CIE pointer to an FDE", offset: offset) }
        cies.append(try parseCIE(&cursor, offset: offset))
        cieIndexByOffset[offset] = cies.count - 1
        return cies.count - 1
    }

    private func parseCIE(_ c: inout DWARFCursor, offset: Int) throws(CFIError) -> CommonInformationEntry {
        let version = try c.u8("CIE version")
        guard version == 1 || version == 3 || version == 4 else {
            throw .unsupported(what: "CIE version \(version)", offset: offset)
        }
        let augmentation = try c.cString("CIE augmentation")
        if augmentation.contains("eh") { try c.skip(8, "CIE eh_data") }
        if version == 4 { try c.skip(2, "CIE address and segment size") }
        var cie = CommonInformationEntry(
            codeAlignment: try c.uleb("code alignment"), dataAlignment: try c.sleb("data alignment"),
            returnAddressRegister: 0, pointerEncoding: PointerEncoding.absolute,
            hasAugmentationData: augmentation.hasPrefix("z"), isSignalFrame: false, instructions: 0..<0)
        let ra = version == 1 ? UInt64(try c.u8("return address register")) : try c.uleb("return address register")
        cie.returnAddressRegister = try registerNumber(ra, offset: offset)
        if cie.hasAugmentationData {
            try parseAugmentation(augmentation, &c, into: &cie, offset: offset)
        } else if !augmentation.isEmpty && augmentation != "eh" {
            throw .unsupported(what: "CIE augmentation \"\(augmentation)\"", offset: offset)
        }
        cie.instructions = c.offset..<c.end
        return cie
    }

    /// The 'z' augmentation data: 'L' (LSDA encoding), 'P' (personality), 'R' (FDE pointer
    /// encoding), 'S' (signal frame). Its length lets unknown letters be passed over.
    private func parseAugmentation(_ augmentation: String, _ c: inout DWARFCursor,
                                   into cie: inout CommonInformationEntry, offset: Int) throws(CFIError) {
        let length = try c.uleb("augmentation length")
        guard length <= UInt64(c.remaining) else { throw .truncated(what: "CIE augmentation data", offset: c.offset) }
        let dataEnd = c.offset + Int(length)
        var data = DWARFCursor(bytes, baseAddress: address, offset: c.offset, end: dataEnd)
        loop: for letter in augmentation.utf8.dropFirst() {
            switch letter {
            case UInt8(ascii: "L"): _ = try data.u8("LSDA encoding")
            case UInt8(ascii: "P"): try data.skipPointer(try data.u8("personality encoding"), "personality")
            case UInt8(ascii: "R"): cie.pointerEncoding = try data.u8("FDE pointer encoding")
            case UInt8(ascii: "S"): cie.isSignalFrame = true
            default: break loop
            }
        }
        c.offset = dataEnd
    }

    private mutating func parseFDE(_ c: inout DWARFCursor, recordOffset: Int, ciePointer: Int, idOffset: Int) throws(CFIError) {
        // The CIE pointer counts back from the pointer field itself.
        guard ciePointer <= idOffset else { throw .malformed(what: "CIE pointer \(ciePointer)", offset: recordOffset) }
        let cieIndex = try cie(at: idOffset - ciePointer)
        let cie = cies[cieIndex]
        let begin = try c.pointer(cie.pointerEncoding, "FDE pc_begin")
        let size = try c.pointerValue(cie.pointerEncoding & 0x0f, "FDE pc_range")
        if cie.hasAugmentationData {
            let length = try c.uleb("FDE augmentation length")
            guard length <= UInt64(c.remaining) else { throw .truncated(what: "FDE augmentation data", offset: c.offset) }
            c.offset += Int(length)
        }
        // Zero-sized FDEs are left over from discarded sections; an FDE that wraps is garbage.
        guard size > 0, let end = begin.adding(size) else { return }
        fdes.append(FrameDescription(offset: recordOffset, pcRange: begin..<end, cieIndex: cieIndex,
                                     instructions: c.offset..<c.end))
    }
}

/// DWARF register numbers are ULEB128; anything this large is corruption.
func registerNumber(_ value: UInt64, offset: Int) throws(CFIError) -> Int {
    guard value < 4096 else { throw .malformed(what: "register number \(value)", offset: offset) }
    return Int(value)
}
