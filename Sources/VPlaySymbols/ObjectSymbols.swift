import Foundation

/// What symbolization and unwinding need of one ELF object, small enough to store in a crash
/// bundle so that neither needs the original file: its path and build-id, its function and
/// object symbols, where its image starts, and its `.eh_frame`.
public struct ObjectSymbols: Codable, Equatable, Sendable {
    /// A function or data symbol, at a link-time address.
    public struct Symbol: Codable, Equatable, Sendable {
        public enum Kind: String, Codable, Sendable { case function, object }
        public var start: UInt64
        /// 0 when the symbol table gives no size.
        public var size: UInt64
        public var name: String
        public var kind: Kind

        public init(start: UInt64, size: UInt64, name: String, kind: Kind) {
            (self.start, self.size, self.name, self.kind) = (start, size, name, kind)
        }
    }

    /// The path the object was mapped from (as /proc/PID/maps shows it).
    public var path: String
    /// The GNU build-id in lower-case hex, when the object has one.
    public var buildID: String?
    /// Sorted by `start`, one per address (aliases removed; `.symtab` preferred over `.dynsym`).
    public var symbols: [Symbol]
    /// p_vaddr and p_offset of the lowest PT_LOAD segment.
    public var loadAddress: UInt64
    public var loadOffset: UInt64
    /// The end of the highest PT_LOAD segment's memory image (link-time address).
    public var loadEnd: UInt64
    /// The `.eh_frame` bytes (empty when the object has none) and their link-time address.
    public var ehFrame: [UInt8]
    public var ehFrameAddress: UInt64

    public init(path: String, buildID: String?, symbols: [Symbol], loadAddress: UInt64, loadOffset: UInt64,
                loadEnd: UInt64, ehFrame: [UInt8] = [], ehFrameAddress: UInt64 = 0) {
        self.path = path
        self.buildID = buildID
        self.symbols = symbols.sorted { $0.start < $1.start }
        (self.loadAddress, self.loadOffset, self.loadEnd) = (loadAddress, loadOffset, loadEnd)
        (self.ehFrame, self.ehFrameAddress) = (ehFrame, ehFrameAddress)
    }

    /// Extracts the symbols of the ELF object `bytes`, which was mapped from `path`.
    public init(path: String, elf bytes: [UInt8]) throws(ELFError) {
        try self.init(path: path, elf: try ELFFile(bytes: bytes))
    }

    public init(path: String, elf: ELFFile) throws(ELFError) {
        guard let first = elf.firstLoadSegment else {
            throw .malformed(what: "no PT_LOAD segment", offset: elf.header.programHeaderOffset)
        }
        let end = elf.loadSegments.map { $0.virtualAddress &+ $0.memorySize }.max() ?? first.virtualAddress
        let eh = try elf.ehFrameBytes()
        self.init(path: path, buildID: try elf.buildID(), symbols: SymbolSelection.select(try elf.allSymbols()),
                  loadAddress: first.virtualAddress, loadOffset: first.offset, loadEnd: end,
                  ehFrame: eh?.bytes ?? [], ehFrameAddress: eh?.address ?? 0)
    }

    /// The last path component ("libc.so.6"), for compact output.
    public var name: String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// The load bias (runtime address minus link-time address) of this object when the
    /// mapping that holds its first PT_LOAD segment starts at `mappingStart` with file offset
    /// `mappingOffset` (the file's mapping with the lowest offset in /proc/PID/maps).
    public func loadBias(mappingStart: UInt64, mappingOffset: UInt64) -> UInt64 {
        // The byte at file offset loadOffset is at mappingStart + (loadOffset - mappingOffset)
        // and belongs at link-time address loadAddress.
        mappingStart &+ loadOffset &- mappingOffset &- loadAddress
    }

    /// The symbol covering link-time address `address`. A symbol without a size covers up
    /// to the next symbol.
    public func symbol(containing address: UInt64) -> Symbol? {
        guard address >= loadAddress, address < loadEnd else { return nil }
        var low = 0, high = symbols.count
        while low < high {
            let mid = (low + high) / 2
            if symbols[mid].start <= address { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        let nearest = symbols[low - 1]
        if nearest.size == 0 {
            return low == symbols.count || address < symbols[low].start ? nearest : nil
        }
        // Symbols nest rarely (a function inside a larger one's range); look a few back.
        for i in stride(from: low - 1, through: max(0, low - 8), by: -1) {
            let s = symbols[i]
            if address - s.start < s.size { return s }
        }
        return nil
    }

    // MARK: - Codable: the .eh_frame bytes as base64, not as an array of numbers.

    private enum CodingKeys: String, CodingKey {
        case path, buildID, symbols, loadAddress, loadOffset, loadEnd, ehFrame, ehFrameAddress
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(path: try c.decode(String.self, forKey: .path),
                  buildID: try c.decodeIfPresent(String.self, forKey: .buildID),
                  symbols: try c.decode([Symbol].self, forKey: .symbols),
                  loadAddress: try c.decode(UInt64.self, forKey: .loadAddress),
                  loadOffset: try c.decode(UInt64.self, forKey: .loadOffset),
                  loadEnd: try c.decode(UInt64.self, forKey: .loadEnd),
                  ehFrame: [UInt8](try c.decode(Data.self, forKey: .ehFrame)),
                  ehFrameAddress: try c.decode(UInt64.self, forKey: .ehFrameAddress))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encodeIfPresent(buildID, forKey: .buildID)
        try c.encode(symbols, forKey: .symbols)
        try c.encode(loadAddress, forKey: .loadAddress)
        try c.encode(loadOffset, forKey: .loadOffset)
        try c.encode(loadEnd, forKey: .loadEnd)
        try c.encode(Data(ehFrame), forKey: .ehFrame)
        try c.encode(ehFrameAddress, forKey: .ehFrameAddress)
    }
}
