extension ELFFile {
    /// The entries of `.symtab` (SHT_SYMTAB) or `.dynsym` (SHT_DYNSYM), without the null
    /// symbol at index 0; empty when the object has no such table (e.g. a stripped file has
    /// no `.symtab`).
    public func symbols(in table: ELFSymbol.Table) throws(ELFError) -> [ELFSymbol] {
        let wanted = table == .symtab ? SectionHeader.symbolTable : SectionHeader.dynamicSymbols
        guard let index = sections.firstIndex(where: { $0.type == wanted }) else { return [] }
        return try readSymbols(sections[index], table: table)
    }

    /// The entries of both symbol tables, `.symtab` first.
    public func allSymbols() throws(ELFError) -> [ELFSymbol] {
        try symbols(in: .symtab) + symbols(in: .dynsym)
    }

    private static let symbolSize: UInt64 = 24

    private func readSymbols(_ section: SectionHeader, table: ELFSymbol.Table) throws(ELFError) -> [ELFSymbol] {
        guard section.hasFileData else { return [] }
        let entrySize = section.entrySize == 0 ? Self.symbolSize : section.entrySize
        guard entrySize >= Self.symbolSize else {
            throw .malformed(what: "\(section.name) entry size \(entrySize)", offset: section.offset)
        }
        let count = section.size / entrySize
        try reader.requireTable(section.offset, count: count, size: entrySize, "symbol table \(section.name)")
        let strings = try stringTable(linkedFrom: section)
        var result: [ELFSymbol] = []
        result.reserveCapacity(Int(count))
        var i: UInt64 = 1
        while i < count {
            result.append(try readSymbol(at: section.offset + i * entrySize, strings: strings, table: table))
            i += 1
        }
        return result
    }

    private func readSymbol(at: UInt64, strings: Range<UInt64>, table: ELFSymbol.Table) throws(ELFError) -> ELFSymbol {
        let nameOffset = try reader.u32(at, "st_name")
        let info = try reader.u8(at + 4, "st_info")
        guard let nameAt = strings.lowerBound.adding(UInt64(nameOffset)),
              let name = reader.cString(nameAt, limit: strings.upperBound) else {
            throw .malformed(what: "symbol name (st_name \(nameOffset))", offset: at)
        }
        return ELFSymbol(
            name: name, value: try reader.u64(at + 8, "st_value"), size: try reader.u64(at + 16, "st_size"),
            type: info & 0xf, binding: info >> 4, sectionIndex: try reader.u16(at + 6, "st_shndx"), table: table)
    }

    /// The file range of the string table a symbol table's sh_link names.
    private func stringTable(linkedFrom section: SectionHeader) throws(ELFError) -> Range<UInt64> {
        let link = Int(section.link)
        guard link > 0, link < sections.count, sections[link].type == SectionHeader.stringTable else {
            throw .malformed(what: "\(section.name) sh_link \(link) is not a string table", offset: section.offset)
        }
        let strings = sections[link]
        guard let end = strings.offset.adding(strings.size), end <= reader.count else {
            throw .truncated(what: "string table \(strings.name)", offset: strings.offset, length: strings.size)
        }
        return strings.offset..<end
    }
}
