import VPlayBundle
import VPlaySymbols

/// Where an address lies: a symbol of a bundled object, else the mapping that holds it.
public struct CodeLocation: Equatable, Sendable, CustomStringConvertible {
    public var address: UInt64
    /// The function or data symbol; nil when none covers the address.
    public var symbol: String?
    /// From the symbol's start; without a symbol, from the object's link-time base or the mapping's start.
    public var offset: UInt64
    /// The object's path, or the mapping's name (`[vdso]`); nil when the address is in no mapping.
    public var object: String?

    /// `main+0x1c (/usr/bin/app)`, `[vdso]+0x8f0`, or `??` where nothing is known.
    public var description: String {
        guard let object else { return "??" }
        guard let symbol else { return "\(object)+0x\(String(offset, radix: 16))" }
        return "\(symbol)\(offset == 0 ? "" : "+0x" + String(offset, radix: 16)) (\(object))"
    }

    /// The symbol with its offset, without the object: `main+0x1c`, or `??`.
    public var symbolWithOffset: String {
        guard let symbol else { return object.map { "\(Self.baseName($0))+0x\(String(offset, radix: 16))" } ?? "??" }
        return symbol + (offset == 0 ? "" : "+0x" + String(offset, radix: 16))
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}

/// Resolves addresses with the bundle's symbols and, outside them, its crash-time map.
struct Locator: Sendable {
    let symbolizer: Symbolizer
    let mappings: [MemoryMapping]

    func locate(_ address: UInt64) -> CodeLocation {
        if let s = symbolizer.symbolize(address) { return CodeLocation(s) }
        return outsideObjects(address)
    }

    func locate(_ frame: StackFrame) -> CodeLocation {
        if let s = symbolizer.symbolize(frame) { return CodeLocation(s) }
        return outsideObjects(frame.pc)
    }

    /// The mapping that holds `address`, or nil.
    func mapping(containing address: UInt64) -> MemoryMapping? {
        mappings.first { $0.start <= address && address < $0.end }
    }

    private func outsideObjects(_ address: UInt64) -> CodeLocation {
        guard let m = mapping(containing: address) else {
            return CodeLocation(address: address, symbol: nil, offset: 0, object: nil)
        }
        let name = m.path.isEmpty ? "[anonymous]" : m.path
        return CodeLocation(address: address, symbol: nil, offset: (address - m.start) &+ m.offset, object: name)
    }
}

extension CodeLocation {
    init(_ s: SymbolizedAddress) {
        self.init(address: s.address, symbol: s.symbol, offset: s.offset, object: s.objectPath)
    }
}
