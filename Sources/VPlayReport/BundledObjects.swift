import VPlayBundle
import VPlaySymbols

/// One ELF object of the bundle as the report shows it.
public struct ObjectSummary: Equatable, Sendable {
    public var path: String
    public var buildID: String?
    public var bytes: Int
    /// Functions and data symbols found in its symbol tables.
    public var symbols: Int
    public var hasEhFrame: Bool
    /// Where its image lay in the process; nil when no mapping names it.
    public var loadedAt: Range<UInt64>?
}

/// The bundle's ELF objects, parsed and placed where the process had them mapped.
struct BundledObjects {
    var loaded: [LoadedObject] = []
    var summaries: [ObjectSummary] = []
    var warnings: [String] = []

    /// `mappings` should be the map at the crash; each object is placed by its mapping with the
    /// lowest file offset, which holds its first PT_LOAD segment.
    init(_ objects: [BundledObject], mappings: [MemoryMapping]) {
        var lowest: [String: MemoryMapping] = [:]
        for m in mappings where m.path.hasPrefix("/") {
            if let known = lowest[m.path], known.offset <= m.offset { continue }
            lowest[m.path] = m
        }
        for object in objects { add(object, mapping: lowest[object.path]) }
    }

    private mutating func add(_ object: BundledObject, mapping: MemoryMapping?) {
        var summary = ObjectSummary(path: object.path, buildID: object.buildID, bytes: object.bytes.count,
                                    symbols: 0, hasEhFrame: false, loadedAt: nil)
        defer { summaries.append(summary) }
        let symbols: ObjectSymbols
        do {
            symbols = try ObjectSymbols(path: object.path, elf: object.bytes)
        } catch {
            warnings.append("\(object.path): no symbols: \(error)")
            return
        }
        summary.symbols = symbols.symbols.count
        summary.hasEhFrame = !symbols.ehFrame.isEmpty
        guard let mapping else {
            warnings.append("\(object.path) is in no mapping; its addresses are not symbolized")
            return
        }
        let placed = LoadedObject(symbols: symbols, mappingStart: mapping.start, mappingOffset: mapping.offset)
        summary.loadedAt = placed.addressRange
        loaded.append(placed)
    }
}
