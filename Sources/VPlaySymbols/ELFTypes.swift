// The ELF64 structures this package reads, decoded into plain values (see the System V gABI
// and <elf.h>). Only the fields symbolization and unwinding need are kept.

/// The ELF file header (Elf64_Ehdr).
public struct ELFHeader: Equatable, Sendable {
    /// e_type: 2 executable, 3 shared object / PIE, 4 core.
    public var type: UInt16
    /// e_machine: 62 is x86-64.
    public var machine: UInt16
    public var entry: UInt64
    public var programHeaderOffset: UInt64
    public var sectionHeaderOffset: UInt64
    public var programHeaderSize: UInt16
    public var programHeaderCount: Int
    public var sectionHeaderSize: UInt16
    public var sectionHeaderCount: Int
    public var sectionNameTableIndex: Int

    public static let typeExecutable: UInt16 = 2
    public static let typeShared: UInt16 = 3
    public static let machineX86_64: UInt16 = 62
}

/// A program header (Elf64_Phdr): one segment.
public struct ProgramHeader: Equatable, Sendable {
    public var type: UInt32
    public var flags: UInt32
    public var offset: UInt64
    public var virtualAddress: UInt64
    public var fileSize: UInt64
    public var memorySize: UInt64
    public var alignment: UInt64

    public static let load: UInt32 = 1
    public static let dynamic: UInt32 = 2
    public static let note: UInt32 = 4
    public static let gnuEHFrame: UInt32 = 0x6474_e550

    /// Whether the segment's memory image covers `address`.
    public func contains(virtualAddress address: UInt64) -> Bool {
        address >= virtualAddress && address - virtualAddress < memorySize
    }
}

/// A section header (Elf64_Shdr) with its name resolved.
public struct SectionHeader: Equatable, Sendable {
    public var name: String
    public var type: UInt32
    public var flags: UInt64
    public var address: UInt64
    public var offset: UInt64
    public var size: UInt64
    public var link: UInt32
    public var info: UInt32
    public var alignment: UInt64
    public var entrySize: UInt64

    public static let symbolTable: UInt32 = 2
    public static let stringTable: UInt32 = 3
    public static let dynamic: UInt32 = 6
    public static let note: UInt32 = 7
    public static let noBits: UInt32 = 8
    public static let dynamicSymbols: UInt32 = 11

    /// Whether the section occupies bytes in the file (SHT_NOBITS sections such as .bss do not).
    public var hasFileData: Bool { type != Self.noBits }
}

/// A symbol of `.symtab` or `.dynsym` (Elf64_Sym), with its name resolved.
public struct ELFSymbol: Equatable, Sendable {
    public enum Table: Sendable { case symtab, dynsym }
    public var name: String
    public var value: UInt64
    public var size: UInt64
    /// STT_* (low 4 bits of st_info).
    public var type: UInt8
    /// STB_* (high 4 bits of st_info).
    public var binding: UInt8
    public var sectionIndex: UInt16
    public var table: Table

    public static let typeObject: UInt8 = 1
    public static let typeFunction: UInt8 = 2
    public static let typeIndirectFunction: UInt8 = 10
    public static let bindingLocal: UInt8 = 0
    public static let bindingGlobal: UInt8 = 1
    public static let bindingWeak: UInt8 = 2

    /// Defined in a section of this object (not undefined, absolute or common).
    public var isDefined: Bool { sectionIndex != 0 && sectionIndex < 0xff00 }
    /// Code: STT_FUNC, or STT_GNU_IFUNC (whose value is the resolver, which is code too).
    public var isFunction: Bool { type == Self.typeFunction || type == Self.typeIndirectFunction }
    public var isObject: Bool { type == Self.typeObject }
}

/// The bytes of a section (or of what a segment says a section holds) and the virtual
/// address they are loaded at.
public struct LoadedBytes: Equatable, Sendable {
    public var address: UInt64
    public var bytes: [UInt8]
    public init(address: UInt64, bytes: [UInt8]) {
        self.address = address
        self.bytes = bytes
    }
}
