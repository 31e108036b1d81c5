import VPlayBundle
import VPlayKernel
import VPlayPatch
import VPlaySymbols

/// The code the replayed program runs, read from the bundle's ELF objects (never from the
/// replayed memory: a read there would fetch pages the trial replay must not count as touched).
final class ProgramCode {
    private struct Object {
        let bytes: [UInt8]
        let symbols: ObjectSymbols
        let bias: UInt64
    }

    private let bundle: VPlayBundle.Bundle
    private var objects: [String: Object?] = [:]
    private let decoder = InstructionDecoder()

    init(bundle: VPlayBundle.Bundle) { self.bundle = bundle }

    /// The whole function around `pc`, decoded from its symbol's start; only the instruction at
    /// `pc` when no symbol bounds it (a patch there may then cover that one instruction only).
    /// Code mapped after the window began (a library loaded in it) is read from `memory`: its
    /// pages came from the log when it was mapped, never from the bundle's window-start pages.
    func function(around pc: UInt64, memory: ProcessMemory?) throws(PatchRefusal) -> [Instruction] {
        guard let m = bundle.state.mappings.first(where: { $0.start <= pc && pc < $0.end }) else {
            return try mappedInWindow(pc, memory: memory)
        }
        guard m.path.hasPrefix("/") else { throw PatchRefusal("0x\(String(pc, radix: 16)) is in no file-backed mapping") }
        guard let object = object(m.path) else { throw PatchRefusal("the bundle holds no readable ELF object for \(m.path)") }
        let fileBase = Int(m.offset) - Int(m.start)  // file offset = address + fileBase, within m
        var range = pc..<min(pc + 16, m.end)
        var bounded = false
        if let f = object.symbols.symbol(containing: pc &- object.bias), f.kind == .function {
            let start = f.start &+ object.bias
            let end = f.size > 0 ? start &+ f.size : m.end
            if start >= m.start, end <= m.end { (range, bounded) = (start..<end, true) }
        }
        let lower = Int(range.lowerBound) + fileBase, upper = Int(range.upperBound) + fileBase
        guard lower >= 0, upper <= object.bytes.count, lower < upper else {
            throw PatchRefusal("the code at 0x\(String(pc, radix: 16)) lies outside \(m.path)'s bytes in the bundle")
        }
        let code = decoder.sweep(Array(object.bytes[lower..<upper]), at: range.lowerBound)
        return bounded ? code : Array(code.prefix(1))
    }

    /// The one instruction at `pc`, read from the replayed process (no symbols bound it).
    private func mappedInWindow(_ pc: UInt64, memory: ProcessMemory?) throws(PatchRefusal) -> [Instruction] {
        let pageEnd = (pc | 0xFFF) &+ 1
        let bytes: [UInt8]
        do {
            guard let memory else { throw PatchRefusal("no process to read it from") }
            bytes = try memory.read(pc, count: Int(min(16, pageEnd &- pc)))
        } catch {
            throw PatchRefusal("0x\(String(pc, radix: 16)) was mapped after the window began, and its code cannot be read: \(error)")
        }
        guard let i = decoder.decode(bytes[...], at: pc) else {
            throw PatchRefusal("the bytes at 0x\(String(pc, radix: 16)) begin no instruction")
        }
        return [i]
    }

    private func object(_ path: String) -> Object? {
        if let known = objects[path] { return known }
        var found: Object?
        if let bundled = bundle.objects.first(where: { $0.path == path }),
           let lowest = bundle.state.mappings.filter({ $0.path == path }).min(by: { $0.offset < $1.offset }),
           let symbols = try? ObjectSymbols(path: path, elf: bundled.bytes) {
            found = Object(bytes: bundled.bytes, symbols: symbols,
                           bias: symbols.loadBias(mappingStart: lowest.start, mappingOffset: lowest.offset))
        }
        objects[path] = found
        return found
    }
}
