/// One entry of a note segment or section (Elf64_Nhdr with its name and descriptor).
public struct ELFNote: Equatable, Sendable {
    public var name: String
    public var type: UInt32
    public var descriptor: [UInt8]

    /// NT_GNU_BUILD_ID.
    public static let gnuBuildID: UInt32 = 3
}

extension ELFFile {
    /// The notes of every PT_NOTE segment, or of every SHT_NOTE section when the object has
    /// no program headers (a relocatable object).
    public func notes() throws(ELFError) -> [ELFNote] {
        var result: [ELFNote] = []
        let segments = programHeaders.filter { $0.type == ProgramHeader.note }
        if !programHeaders.isEmpty {
            for s in segments { result += try readNotes(s.offset, s.fileSize, alignment: s.alignment) }
        } else {
            for s in sections where s.type == SectionHeader.note {
                result += try readNotes(s.offset, s.size, alignment: s.alignment)
            }
        }
        return result
    }

    /// The GNU build-id as lower-case hex (as `readelf -n` and `file` print it), nil when the
    /// object has none.
    public func buildID() throws(ELFError) -> String? {
        guard let note = try notes().first(where: { $0.name == "GNU" && $0.type == ELFNote.gnuBuildID }) else {
            return nil
        }
        return note.descriptor.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    /// Notes are 4-byte aligned, except in segments aligned to 8 (.note.gnu.property), where
    /// the linker pads names and descriptors to 8.
    private func readNotes(_ offset: UInt64, _ size: UInt64, alignment: UInt64) throws(ELFError) -> [ELFNote] {
        let align: UInt64 = alignment == 8 ? 8 : 4
        guard let end = offset.adding(size), end <= reader.count else {
            throw .truncated(what: "note", offset: offset, length: size)
        }
        var result: [ELFNote] = []
        var at = offset
        while end - at >= 12 {
            let nameSize = UInt64(try reader.u32(at, "n_namesz"))
            let descSize = UInt64(try reader.u32(at + 4, "n_descsz"))
            let type = try reader.u32(at + 8, "n_type")
            let nameAt = at + 12
            guard let descAt = (nameAt + nameSize).roundedUp(to: align), let next = (descAt + descSize).roundedUp(to: align),
                  descAt + descSize <= end else {
                throw .malformed(what: "note sizes (n_namesz \(nameSize), n_descsz \(descSize))", offset: at)
            }
            let name = reader.bytes[Int(nameAt)..<Int(nameAt + nameSize)].prefix { $0 != 0 }
            result.append(ELFNote(name: String(decoding: name, as: UTF8.self), type: type,
                                  descriptor: Array(reader.bytes[Int(descAt)..<Int(descAt + descSize)])))
            guard next < end else { break }
            at = next
        }
        return result
    }
}

extension UInt64 {
    /// The smallest multiple of `alignment` (a power of two) not below self; nil on overflow.
    func roundedUp(to alignment: UInt64) -> UInt64? {
        adding(alignment - 1).map { $0 & ~(alignment - 1) }
    }
}
