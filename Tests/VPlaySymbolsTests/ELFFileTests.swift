import Foundation
import Testing
import VPlayTestSupport
import VPlaySymbols

@Suite(.timeLimit(.minutes(2)))
struct ELFFileTests {
    @Test(.needs("readelf"))
    func libcSectionsMatchReadelf() throws {
        let elf = try ELFFile(bytes: try readFile(Prerequisite.libc))
        let expected = try Readelf.sections(Prerequisite.libc)
        let actual = elf.sections.dropFirst().map {
            Readelf.Section(name: $0.name, address: $0.address, offset: $0.offset, size: $0.size)
        }
        #expect(!expected.isEmpty)
        #expect(actual == expected)
    }

    @Test func libcHeaderAndSegmentsAreThoseOfASharedX86_64Object() throws {
        let elf = try ELFFile(bytes: try readFile(Prerequisite.libc))
        #expect(elf.header.type == ELFHeader.typeShared)
        #expect(elf.header.machine == ELFHeader.machineX86_64)
        let types = Set(elf.programHeaders.map(\.type))
        for required in [ProgramHeader.load, ProgramHeader.note, ProgramHeader.dynamic, ProgramHeader.gnuEHFrame] {
            #expect(types.contains(required), "missing segment type \(required)")
        }
        #expect(elf.firstLoadSegment?.virtualAddress == 0)
        #expect(try elf.soname() == "libc.so.6")
    }

    @Test(.needs("readelf"))
    func libcBuildIDMatchesReadelf() throws {
        let elf = try ELFFile(bytes: try readFile(Prerequisite.libc))
        let expected = try #require(try Readelf.buildID(Prerequisite.libc))
        #expect(try elf.buildID() == expected)
    }

    @Test(.needsBusybox, .needs("readelf"))
    func busyboxBuildIDMatchesReadelf() throws {
        guard let path = Prerequisite.busybox else { throw TestFailure("busybox is not installed") }
        let elf = try ELFFile(bytes: try readFile(path))
        #expect(try elf.buildID() == (try Readelf.buildID(path)))
        #expect(try elf.soname() == nil)
        // Static: no dynamic symbols; its libc code still has call-frame information.
        let symbols = try ObjectSymbols(path: path, elf: elf)
        #expect(!symbols.ehFrame.isEmpty)
        #expect(try CallFrameInfo(ehFrame: symbols.ehFrame, address: symbols.ehFrameAddress).descriptions.count > 100)
    }

    @Test(.needs("nm"))
    func libcDynamicSymbolsMatchNm() throws {
        let elf = try ELFFile(bytes: try readFile(Prerequisite.libc))
        let dynsym = try elf.symbols(in: .dynsym)
        #expect(try elf.symbols(in: .symtab).isEmpty, "Debian's libc is stripped")
        let expected = try Readelf.symbolAddresses(Prerequisite.libc, dynamic: true)
        for name in ["abort", "malloc", "raise", "printf", "environ"] {
            let symbol = try #require(dynsym.first { $0.name == name && $0.isDefined }, "\(name) not in .dynsym")
            #expect(symbol.value == expected[name], "\(name)")
        }
        #expect(dynsym.first { $0.name == "environ" }?.isObject == true)
        #expect(dynsym.first { $0.name == "abort" }?.isFunction == true)
    }

    @Test func ehFrameHeaderPointsAtEhFrameAndIndexesEveryFDE() throws {
        let elf = try ELFFile(bytes: try readFile(Prerequisite.libc))
        let eh = try #require(try elf.ehFrameBytes())
        let hdrBytes = try #require(try elf.ehFrameHeaderBytes())
        #expect(eh.address == elf.section(named: ".eh_frame")?.address)
        let header = try EhFrameHeader(bytes: hdrBytes.bytes, address: hdrBytes.address)
        #expect(header.ehFrameAddress == eh.address)
        let info = try CallFrameInfo(ehFrame: eh.bytes, address: eh.address)
        #expect(header.table.count == info.descriptions.count)
        #expect(header.table.map(\.initialLocation) == info.descriptions.map(\.pcRange.lowerBound))
        #expect(header.table.map(\.fdeAddress) == info.descriptions.map { eh.address + UInt64($0.offset) })
    }

    @Test func ehFrameIsFoundThroughPTGNUEHFrameWhenSectionHeadersAreGone() throws {
        var bytes = try readFile(Prerequisite.libc)
        let original = try #require(try ELFFile(bytes: bytes).ehFrameBytes())
        // e_shoff = 0, e_shnum = 0, e_shstrndx = 0: as after `strip --strip-section-headers`.
        for i in 40..<48 { bytes[i] = 0 }
        for i in 60..<64 { bytes[i] = 0 }
        let stripped = try ELFFile(bytes: bytes)
        #expect(stripped.sections.isEmpty)
        let found = try #require(try stripped.ehFrameBytes())
        #expect(found.address == original.address)
        #expect(found.bytes == original.bytes)
        #expect(try stripped.buildID() == (try ELFFile(bytes: try readFile(Prerequisite.libc)).buildID()))
    }

    @Test(.needs("gcc", "readelf", "nm"))
    func compiledProgramSymbolsAndBuildIDMatchBinutils() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        for (name, flags) in [("pie", ["-O2", "-g"]), ("static", ["-O0", "-static"])] {
            let exe = try compileC(callChainSource, name: name, flags: flags, in: dir)
            let elf = try ELFFile(bytes: try readFile(exe))
            #expect(try elf.buildID() == (try Readelf.buildID(exe)), "\(name)")
            let expected = try Readelf.symbolAddresses(exe, dynamic: false)
            let symtab = try elf.symbols(in: .symtab)
            for symbol in ["main", "helper", "a", "b", "c", "sink", "table"] {
                let found = try #require(symtab.first { $0.name == symbol }, "\(name): \(symbol)")
                #expect(found.value == expected[symbol], "\(name): \(symbol)")
            }
            #expect(symtab.first { $0.name == "helper" }?.binding == ELFSymbol.bindingLocal)
        }
    }
}
