/// Turns raw symbol-table entries into the one-per-address list ObjectSymbols keeps.
enum SymbolSelection {
    /// Defined, named FUNC/IFUNC/OBJECT symbols, sorted by address, one per address.
    /// `.symtab` is complete where present, so `.dynsym` only fills addresses it lacks
    /// (a stripped library has only `.dynsym`). Among aliases at one address the most
    /// conventional name wins: global before weak before local, sized before unsized, then
    /// without leading underscores, shorter, alphabetical.
    static func select(_ raw: [ELFSymbol]) -> [ObjectSymbols.Symbol] {
        var best: [UInt64: ELFSymbol] = [:]
        for s in raw where s.isDefined && !s.name.isEmpty && (s.isFunction || s.isObject) {
            if let current = best[s.value], !isPreferred(s, over: current) { continue }
            best[s.value] = s
        }
        return best.values
            .map { ObjectSymbols.Symbol(start: $0.value, size: $0.size, name: $0.name, kind: $0.isFunction ? .function : .object) }
            .sorted { $0.start < $1.start }
    }

    static func isPreferred(_ a: ELFSymbol, over b: ELFSymbol) -> Bool {
        if a.table != b.table { return a.table == .symtab }
        if a.isFunction != b.isFunction { return a.isFunction }
        if rank(a.binding) != rank(b.binding) { return rank(a.binding) < rank(b.binding) }
        if (a.size == 0) != (b.size == 0) { return a.size != 0 }
        let aUnderscore = a.name.hasPrefix("_"), bUnderscore = b.name.hasPrefix("_")
        if aUnderscore != bUnderscore { return !aUnderscore }
        if a.name.utf8.count != b.name.utf8.count { return a.name.utf8.count < b.name.utf8.count }
        return a.name < b.name
    }

    private static func rank(_ binding: UInt8) -> Int {
        switch binding {
        case ELFSymbol.bindingGlobal: return 0
        case ELFSymbol.bindingWeak: return 1
        default: return 2
        }
    }
}
