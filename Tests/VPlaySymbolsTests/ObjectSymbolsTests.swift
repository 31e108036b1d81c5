import Foundation
import Testing
import VPlayTestSupport
import VPlaySymbols

@Suite(.timeLimit(.minutes(2)))
struct ObjectSymbolsTests {
    @Test(.needs("gcc", "nm"))
    func mainAndAStaticFunctionResolveInACompiledProgram() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let exe = try compileC(callChainSource, name: "symbols", flags: ["-O2"], in: dir)
        let symbols = try ObjectSymbols(path: exe, elf: try readFile(exe))
        let nm = try Readelf.symbolAddresses(exe, dynamic: false)
        let main = try #require(nm["main"]), helper = try #require(nm["helper"]), table = try #require(nm["table"])
        #expect(symbols.symbol(containing: main)?.name == "main")
        #expect(symbols.symbol(containing: main + 3)?.name == "main")
        #expect(symbols.symbol(containing: helper + 1)?.name == "helper")
        #expect(symbols.symbol(containing: helper)?.kind == .function)
        #expect(symbols.symbol(containing: table + 8)?.name == "table")
        #expect(symbols.symbol(containing: table)?.kind == .object)
        #expect(symbols.buildID?.count == 40)
    }

    @Test(.needs("gcc"))
    func symbolsAreSortedUniqueAndPreferSymtabOverDynsym() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        // -rdynamic exports main and a, b, c into .dynsym as well: each must appear once.
        let exe = try compileC(callChainSource, name: "rdynamic", flags: ["-O2", "-rdynamic"], in: dir)
        let elf = try ELFFile(bytes: try readFile(exe))
        #expect(try elf.symbols(in: .dynsym).contains { $0.name == "main" })
        let symbols = try ObjectSymbols(path: exe, elf: elf)
        let starts = symbols.symbols.map(\.start)
        #expect(starts == starts.sorted())
        #expect(Set(starts).count == starts.count)
        #expect(symbols.symbols.filter { $0.name == "main" }.count == 1)
        #expect(symbols.symbols.contains { $0.name == "helper" }, "local symbols come from .symtab")
    }

    @Test func aliasesResolveToTheConventionalName() throws {
        // raise and gsignal share an address in libc; raise is global, gsignal weak.
        let symbols = try ObjectSymbols(path: Prerequisite.libc, elf: try readFile(Prerequisite.libc))
        let raise = try #require(symbols.symbols.first { $0.name == "raise" })
        #expect(!symbols.symbols.contains { $0.name == "gsignal" })
        #expect(symbols.symbol(containing: raise.start + 1)?.name == "raise")
    }

    @Test func codableRoundTripKeepsEverythingAndStaysCompact() throws {
        let symbols = try ObjectSymbols(path: Prerequisite.libc, elf: try readFile(Prerequisite.libc))
        let json = try JSONEncoder().encode(symbols)
        let decoded = try JSONDecoder().decode(ObjectSymbols.self, from: json)
        #expect(decoded == symbols)
        // The .eh_frame travels as base64 (4/3 of its size), not as a JSON array of numbers.
        let text = String(decoding: json, as: UTF8.self)
        #expect(!text.contains("\"ehFrame\":["))
        #expect(json.count < symbols.ehFrame.count * 2 + symbols.symbols.count * 80)
    }

    @Test func loadBiasComesFromTheMappingOfTheFirstSegment() {
        let pie = ObjectSymbols(path: "/x/app", buildID: nil, symbols: [], loadAddress: 0, loadOffset: 0, loadEnd: 0x5000)
        #expect(pie.loadBias(mappingStart: 0x5555_5555_4000, mappingOffset: 0) == 0x5555_5555_4000)
        // A non-PIE executable mapped where it was linked has no bias.
        let exec = ObjectSymbols(path: "/x/exec", buildID: nil, symbols: [], loadAddress: 0x400000, loadOffset: 0, loadEnd: 0x500000)
        #expect(exec.loadBias(mappingStart: 0x400000, mappingOffset: 0) == 0)
        // A first segment that starts at a non-zero file offset.
        let odd = ObjectSymbols(path: "/x/odd", buildID: nil, symbols: [], loadAddress: 0x201000, loadOffset: 0x1000, loadEnd: 0x210000)
        #expect(odd.loadBias(mappingStart: 0x7f00_0000_1000, mappingOffset: 0x1000) == 0x7f00_0000_1000 - 0x201000)
    }
}

@Suite
struct SymbolizerTests {
    static let app = ObjectSymbols(
        path: "/usr/bin/app", buildID: "ab",
        symbols: [.init(start: 0x1100, size: 0x40, name: "main", kind: .function),
                  .init(start: 0x1000, size: 0x20, name: "start", kind: .function),
                  .init(start: 0x2000, size: 0, name: "unsized", kind: .function),
                  .init(start: 0x2100, size: 0x10, name: "counter", kind: .object)],
        loadAddress: 0, loadOffset: 0, loadEnd: 0x3000)
    static let libc = ObjectSymbols(
        path: "/lib/x86_64-linux-gnu/libc.so.6", buildID: nil,
        symbols: [.init(start: 0x1000, size: 0x200, name: "abort", kind: .function)],
        loadAddress: 0, loadOffset: 0, loadEnd: 0x2000)

    let symbolizer = Symbolizer(objects: [
        LoadedObject(symbols: libc, bias: 0x7f00_0000_0000),
        LoadedObject(symbols: app, bias: 0x5555_0000_0000),
    ])

    @Test func addressesResolveToObjectSymbolAndOffset() throws {
        let s = try #require(symbolizer.symbolize(0x5555_0000_111c))
        #expect(s.objectPath == "/usr/bin/app")
        #expect(s.symbol == "main")
        #expect(s.offset == 0x1c)
        #expect(s.description == "main+0x1c (/usr/bin/app)")
        let abort = try #require(symbolizer.symbolize(0x7f00_0000_1112))
        #expect(abort.compactDescription == "libc.so.6!abort+0x112")
        #expect(symbolizer.symbolize(0x5555_0000_1100)?.description == "main (/usr/bin/app)")
        #expect(symbolizer.symbolize(0x5555_0000_2104)?.symbol == "counter")
    }

    @Test func gapsAndUnsizedSymbolsAndForeignAddresses() {
        // Between start's end (0x1020) and main: the object but no symbol.
        let gap = symbolizer.symbolize(0x5555_0000_1050)
        #expect(gap?.symbol == nil)
        #expect(gap?.description == "/usr/bin/app+0x1050")
        // An unsized symbol covers up to the next one.
        #expect(symbolizer.symbolize(0x5555_0000_20ff)?.symbol == "unsized")
        #expect(symbolizer.symbolize(0x5555_0000_2110)?.symbol == nil)
        #expect(symbolizer.symbolize(0x1234) == nil)
        #expect(symbolizer.symbolize(0x5555_0000_3000) == nil)
    }

    @Test func aCallerFrameResolvesByItsCallSite() {
        // A call as the last instruction of `start` returns to start's end: pc-1 is still in start.
        let frame = StackFrame(pc: 0x5555_0000_1020, lookupAddress: 0x5555_0000_101f, method: .cfi, registers: UnwindRegisters())
        #expect(symbolizer.symbolize(frame)?.description == "start+0x20 (/usr/bin/app)")
        #expect(symbolizer.symbolize(frame.pc)?.symbol == nil)
    }
}
