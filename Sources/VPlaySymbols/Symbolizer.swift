/// An object as loaded in one process: its symbols and its load bias (runtime address minus
/// link-time address; 0 for a non-PIE executable).
public struct LoadedObject: Codable, Equatable, Sendable {
    public var symbols: ObjectSymbols
    public var bias: UInt64

    public init(symbols: ObjectSymbols, bias: UInt64) {
        self.symbols = symbols
        self.bias = bias
    }

    /// Places the object by the mapping holding its first PT_LOAD segment (see
    /// `ObjectSymbols.loadBias(mappingStart:mappingOffset:)`).
    public init(symbols: ObjectSymbols, mappingStart: UInt64, mappingOffset: UInt64) {
        self.init(symbols: symbols, bias: symbols.loadBias(mappingStart: mappingStart, mappingOffset: mappingOffset))
    }

    /// The runtime addresses of the object's image.
    public var addressRange: Range<UInt64> {
        let start = symbols.loadAddress &+ bias
        let end = symbols.loadEnd &+ bias
        return start..<max(start, end)
    }
}

/// An address resolved to an object and, where one covers it, a symbol.
public struct SymbolizedAddress: Equatable, Sendable, CustomStringConvertible {
    public var address: UInt64
    public var objectPath: String
    /// nil when no symbol covers the address.
    public var symbol: String?
    /// From the symbol's start; without a symbol, the link-time address in the object.
    public var offset: UInt64

    /// `main+0x1c (/usr/bin/app)`, or `/usr/bin/app+0x1234` without a symbol.
    public var description: String {
        guard let symbol else { return "\(objectPath)+\(hex(offset))" }
        return "\(symbol)\(offsetSuffix) (\(objectPath))"
    }

    /// `libc.so.6!abort+0x112`, or `libc.so.6+0x26f1a` without a symbol.
    public var compactDescription: String {
        let name = objectPath.split(separator: "/").last.map(String.init) ?? objectPath
        guard let symbol else { return "\(name)+\(hex(offset))" }
        return "\(name)!\(symbol)\(offsetSuffix)"
    }

    private var offsetSuffix: String { offset == 0 ? "" : "+\(hex(offset))" }
}

/// Resolves runtime addresses of one process to objects and symbols (binary search over the
/// objects by address, then over each object's symbols).
public struct Symbolizer: Sendable {
    /// The objects by runtime start address.
    public let objects: [LoadedObject]

    public init(objects: [LoadedObject]) {
        self.objects = objects.sorted { $0.addressRange.lowerBound < $1.addressRange.lowerBound }
    }

    /// The index in `objects` of the object whose image holds `address`.
    public func objectIndex(containing address: UInt64) -> Int? {
        var low = 0, high = objects.count
        while low < high {
            let mid = (low + high) / 2
            if objects[mid].addressRange.lowerBound <= address { low = mid + 1 } else { high = mid }
        }
        guard low > 0, objects[low - 1].addressRange.contains(address) else { return nil }
        return low - 1
    }

    public func object(containing address: UInt64) -> LoadedObject? {
        objectIndex(containing: address).map { objects[$0] }
    }

    /// The object and symbol of `address`; nil when no object holds it.
    public func symbolize(_ address: UInt64) -> SymbolizedAddress? {
        symbolize(address, lookingUp: address)
    }

    /// Resolves a frame by its call site (`lookupAddress`) so that a call that is the last
    /// instruction of a function is not attributed to the next one, while the offset is
    /// that of the pc itself, as debuggers print it.
    public func symbolize(_ frame: StackFrame) -> SymbolizedAddress? {
        symbolize(frame.pc, lookingUp: frame.lookupAddress)
    }

    private func symbolize(_ address: UInt64, lookingUp lookup: UInt64) -> SymbolizedAddress? {
        guard let object = object(containing: lookup) else { return nil }
        let linkAddress = address &- object.bias
        guard let symbol = object.symbols.symbol(containing: lookup &- object.bias) else {
            return SymbolizedAddress(address: address, objectPath: object.symbols.path, symbol: nil, offset: linkAddress)
        }
        return SymbolizedAddress(address: address, objectPath: object.symbols.path, symbol: symbol.name,
                                 offset: linkAddress &- symbol.start)
    }
}
