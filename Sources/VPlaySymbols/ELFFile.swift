/// An ELF64 little-endian object (executable, shared library, or an image read from memory
/// such as the vDSO) parsed from its bytes. The headers are decoded at initialization; the
/// symbol tables, notes and dynamic section are decoded on request. Malformed or truncated
/// input throws an `ELFError`; no input makes it trap.
public struct ELFFile: Sendable {
    public let header: ELFHeader
    public let programHeaders: [ProgramHeader]
    /// All section headers, index 0 (SHN_UNDEF) included; empty when the file has none.
    public let sections: [SectionHeader]
    let reader: ByteReader

    public init(bytes: [UInt8]) throws(ELFError) {
        reader = ByteReader(bytes)
        let raw = try Self.readHeader(reader)
        header = raw
        programHeaders = try Self.readProgramHeaders(reader, raw)
        sections = try Self.readSections(reader, raw)
    }

    /// The bytes the object was parsed from.
    public var bytes: [UInt8] { reader.bytes }

    /// The PT_LOAD segments in file order.
    public var loadSegments: [ProgramHeader] { programHeaders.filter { $0.type == ProgramHeader.load } }

    /// The first section called `name`.
    public func section(named name: String) -> SectionHeader? {
        sections.first { $0.name == name }
    }

    /// The file bytes of a section (empty for SHT_NOBITS).
    public func contents(of section: SectionHeader) throws(ELFError) -> [UInt8] {
        guard section.hasFileData else { return [] }
        return try reader.slice(section.offset, section.size, "section \(section.name)")
    }

    /// The file bytes of a segment.
    public func contents(of segment: ProgramHeader) throws(ELFError) -> [UInt8] {
        try reader.slice(segment.offset, segment.fileSize, "segment of type \(hex(UInt64(segment.type)))")
    }

    /// The file offset holding virtual address `address`, when a PT_LOAD maps it from the file.
    public func fileOffset(ofVirtualAddress address: UInt64) -> UInt64? {
        for s in loadSegments where address >= s.virtualAddress && address - s.virtualAddress < s.fileSize {
            return s.offset.adding(address - s.virtualAddress)
        }
        return nil
    }

    /// The PT_LOAD with the lowest virtual address: where the object's image begins.
    public var firstLoadSegment: ProgramHeader? {
        loadSegments.min { $0.virtualAddress < $1.virtualAddress }
    }

    // MARK: - Headers

    private static func readHeader(_ r: ByteReader) throws(ELFError) -> ELFHeader {
        guard r.count >= 16, r.bytes[0] == 0x7f, r.bytes[1] == 0x45, r.bytes[2] == 0x4c, r.bytes[3] == 0x46 else {
            throw .notELF
        }
        guard r.bytes[4] == 2 else { throw .unsupported(what: "class (EI_CLASS; only ELF64)", value: UInt64(r.bytes[4])) }
        guard r.bytes[5] == 1 else {
            throw .unsupported(what: "data encoding (EI_DATA; only little-endian)", value: UInt64(r.bytes[5]))
        }
        var h = ELFHeader(
            type: try r.u16(16, "e_type"), machine: try r.u16(18, "e_machine"), entry: try r.u64(24, "e_entry"),
            programHeaderOffset: try r.u64(32, "e_phoff"), sectionHeaderOffset: try r.u64(40, "e_shoff"),
            programHeaderSize: try r.u16(54, "e_phentsize"), programHeaderCount: Int(try r.u16(56, "e_phnum")),
            sectionHeaderSize: try r.u16(58, "e_shentsize"), sectionHeaderCount: Int(try r.u16(60, "e_shnum")),
            sectionNameTableIndex: Int(try r.u16(62, "e_shstrndx")))
        try applyExtendedNumbering(r, &h)
        return h
    }

    /// Counts too large for the header's 16-bit fields live in section header 0 (gABI).
    private static func applyExtendedNumbering(_ r: ByteReader, _ h: inout ELFHeader) throws(ELFError) {
        let needsSection0 = (h.sectionHeaderCount == 0 && h.sectionHeaderOffset != 0)
            || h.sectionNameTableIndex == 0xffff || h.programHeaderCount == 0xffff
        guard needsSection0 else { return }
        let base = h.sectionHeaderOffset
        guard base != 0 else { throw .malformed(what: "extended numbering without section header 0", offset: 56) }
        if h.sectionHeaderCount == 0 {
            let size = try r.u64(base &+ 32, "section header 0 sh_size")
            guard size <= UInt64(Int32.max) else { throw .malformed(what: "extended section count", offset: base &+ 32) }
            h.sectionHeaderCount = Int(size)
        }
        if h.sectionNameTableIndex == 0xffff {
            h.sectionNameTableIndex = Int(try r.u32(base &+ 40, "section header 0 sh_link"))
        }
        if h.programHeaderCount == 0xffff {
            h.programHeaderCount = Int(try r.u32(base &+ 44, "section header 0 sh_info"))
        }
    }

    private static func readProgramHeaders(_ r: ByteReader, _ h: ELFHeader) throws(ELFError) -> [ProgramHeader] {
        guard h.programHeaderCount > 0 else { return [] }
        guard h.programHeaderSize >= 56 else { throw .malformed(what: "e_phentsize \(h.programHeaderSize)", offset: 54) }
        let size = UInt64(h.programHeaderSize)
        try r.requireTable(h.programHeaderOffset, count: UInt64(h.programHeaderCount), size: size, "program headers")
        var result: [ProgramHeader] = []
        result.reserveCapacity(h.programHeaderCount)
        for i in 0..<UInt64(h.programHeaderCount) {
            let at = h.programHeaderOffset + i * size
            result.append(ProgramHeader(
                type: try r.u32(at, "p_type"), flags: try r.u32(at + 4, "p_flags"),
                offset: try r.u64(at + 8, "p_offset"), virtualAddress: try r.u64(at + 16, "p_vaddr"),
                fileSize: try r.u64(at + 32, "p_filesz"), memorySize: try r.u64(at + 40, "p_memsz"),
                alignment: try r.u64(at + 48, "p_align")))
        }
        return result
    }

    private static func readSections(_ r: ByteReader, _ h: ELFHeader) throws(ELFError) -> [SectionHeader] {
        guard h.sectionHeaderCount > 0, h.sectionHeaderOffset != 0 else { return [] }
        guard h.sectionHeaderSize >= 64 else { throw .malformed(what: "e_shentsize \(h.sectionHeaderSize)", offset: 58) }
        let size = UInt64(h.sectionHeaderSize)
        try r.requireTable(h.sectionHeaderOffset, count: UInt64(h.sectionHeaderCount), size: size, "section headers")
        var nameOffsets: [UInt32] = []
        var result: [SectionHeader] = []
        result.reserveCapacity(h.sectionHeaderCount)
        for i in 0..<UInt64(h.sectionHeaderCount) {
            let at = h.sectionHeaderOffset + i * size
            nameOffsets.append(try r.u32(at, "sh_name"))
            result.append(SectionHeader(
                name: "", type: try r.u32(at + 4, "sh_type"), flags: try r.u64(at + 8, "sh_flags"),
                address: try r.u64(at + 16, "sh_addr"), offset: try r.u64(at + 24, "sh_offset"),
                size: try r.u64(at + 32, "sh_size"), link: try r.u32(at + 40, "sh_link"),
                info: try r.u32(at + 44, "sh_info"), alignment: try r.u64(at + 48, "sh_addralign"),
                entrySize: try r.u64(at + 56, "sh_entsize")))
        }
        try nameSections(&result, nameOffsets, r, h)
        return result
    }

    /// Resolves sh_name through the section-name string table (e_shstrndx).
    private static func nameSections(_ sections: inout [SectionHeader], _ nameOffsets: [UInt32],
                                     _ r: ByteReader, _ h: ELFHeader) throws(ELFError) {
        let index = h.sectionNameTableIndex
        guard index != 0 else { return }
        guard index < sections.count else { throw .malformed(what: "e_shstrndx \(index) out of range", offset: 62) }
        let table = sections[index]
        guard let tableEnd = table.offset.adding(table.size), tableEnd <= r.count else {
            throw .truncated(what: "section name table", offset: table.offset, length: table.size)
        }
        for i in sections.indices {
            let nameAt = table.offset + UInt64(nameOffsets[i])
            guard let name = r.cString(nameAt, limit: tableEnd) else {
                let header = h.sectionHeaderOffset + UInt64(i) * UInt64(h.sectionHeaderSize)
                throw .malformed(what: "name of section \(i) (sh_name \(nameOffsets[i]))", offset: header)
            }
            sections[i].name = name
        }
    }
}
