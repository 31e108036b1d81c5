/// One entry of the dynamic section (Elf64_Dyn).
public struct DynamicEntry: Equatable, Sendable {
    public var tag: Int64
    public var value: UInt64

    public static let null: Int64 = 0
    public static let stringTable: Int64 = 5
    public static let stringTableSize: Int64 = 10
    public static let soname: Int64 = 14
}

extension ELFFile {
    /// The entries of PT_DYNAMIC (or of the SHT_DYNAMIC section when there is no such
    /// segment) up to DT_NULL; empty for a static executable.
    public func dynamicEntries() throws(ELFError) -> [DynamicEntry] {
        let range: (offset: UInt64, size: UInt64)
        if let s = programHeaders.first(where: { $0.type == ProgramHeader.dynamic }) {
            range = (s.offset, s.fileSize)
        } else if let s = sections.first(where: { $0.type == SectionHeader.dynamic }), s.hasFileData {
            range = (s.offset, s.size)
        } else {
            return []
        }
        let count = range.size / 16
        try reader.requireTable(range.offset, count: count, size: 16, "dynamic section")
        var result: [DynamicEntry] = []
        for i in 0..<count {
            let at = range.offset + i * 16
            let entry = DynamicEntry(tag: Int64(bitPattern: try reader.u64(at, "d_tag")), value: try reader.u64(at + 8, "d_val"))
            if entry.tag == DynamicEntry.null { break }
            result.append(entry)
        }
        return result
    }

    /// DT_SONAME, e.g. "libc.so.6"; nil when the object has none (executables usually).
    public func soname() throws(ELFError) -> String? {
        let entries = try dynamicEntries()
        guard let name = entries.first(where: { $0.tag == DynamicEntry.soname }) else { return nil }
        guard let table = entries.first(where: { $0.tag == DynamicEntry.stringTable }),
              let tableOffset = fileOffset(ofVirtualAddress: table.value) else {
            throw .malformed(what: "DT_STRTAB missing or not in a PT_LOAD", offset: programHeaders.first { $0.type == ProgramHeader.dynamic }?.offset ?? 0)
        }
        let size = entries.first(where: { $0.tag == DynamicEntry.stringTableSize })?.value ?? (reader.count > tableOffset ? reader.count - tableOffset : 0)
        guard let at = tableOffset.adding(name.value), let limit = tableOffset.adding(size),
              let soname = reader.cString(at, limit: limit) else {
            throw .malformed(what: "DT_SONAME \(name.value) outside DT_STRTAB", offset: tableOffset)
        }
        return soname
    }
}
