import Foundation
import Testing
import VPlayTestSupport
@testable import VPlaySymbols

@Suite(.timeLimit(.minutes(3)))
struct CallFrameInfoTests {
    static let address: UInt64 = 0x2000

    /// One FDE at 0x1000..0x1200 exercising each DW_CFA instruction.
    static let program: [UInt8] = [
        0x41, 0x0e, 0x10, 0x86, 0x02,  // @1001 advance_loc 1; def_cfa_offset 16; offset rbp c-16
        0x43, 0x0d, 0x06,  // @1004 advance_loc 3; def_cfa_register rbp
        0x02, 0x20, 0x0a, 0x0c, 0x07, 0x08, 0xc6,  // @1024 advance_loc1; remember; def_cfa rsp+8; restore rbp
        0x41, 0x0b,  // @1025 restore_state
        0x03, 0x40, 0x00,  // @1065 advance_loc2 0x40
        0x08, 0x03, 0x07, 0x0c, 0x09, 0x0d, 0x0e,  // same_value rbx; undefined r12; register r13 <- r14
        0x11, 0x0f, 0x03, 0x14, 0x0e, 0x02, 0x2e, 0x10,  // offset_extended_sf r15 3 (c-24); val_offset r14 2; args_size 16
        0x04, 0x10, 0x00, 0x00, 0x00,  // @1075 advance_loc4 0x10
        0x0f, 0x02, 0x77, 0x08,  // def_cfa_expression (breg7 +8)
        0x05, 0x10, 0x02, 0x2f, 0x03, 0x01,  // offset_extended ra c-16; GNU_negative_offset_extended rbx +8
    ]

    static func info(_ instructions: [UInt8] = program, cie: [UInt8] = EhFrameBuilder.cie()) throws -> CallFrameInfo {
        let bytes = EhFrameBuilder.section(address: address, cie: cie,
                                           fdes: [.init(begin: 0x1000, size: 0x200, instructions: instructions)])
        return try CallFrameInfo(ehFrame: bytes, address: address)
    }

    @Test func eachCFAInstructionProducesItsRule() throws {
        let info = try Self.info()
        #expect(info.descriptions.map(\.pcRange) == [0x1000..<0x1200])
        let entry = try #require(try info.row(at: 0x1000))
        #expect(entry.cfa == .registerOffset(register: 7, offset: 8))
        #expect(entry.returnAddressRule == .offset(-8))
        #expect(entry.registers[6] == nil)

        let pushed = try #require(try info.row(at: 0x1003))
        #expect(pushed.location == 0x1001)
        #expect(pushed.cfa == .registerOffset(register: 7, offset: 16))
        #expect(pushed.registers[6] == .offset(-16))
        #expect(try info.row(at: 0x1004)?.cfa == .registerOffset(register: 6, offset: 16))

        let epilogue = try #require(try info.row(at: 0x1024))
        #expect(epilogue.cfa == .registerOffset(register: 7, offset: 8))
        #expect(epilogue.registers[6] == nil, "DW_CFA_restore returns to the CIE's (absent) rule")

        let restored = try #require(try info.row(at: 0x1025))
        #expect(restored.cfa == .registerOffset(register: 6, offset: 16), "restore_state brings back the CFA too")
        #expect(restored.registers[6] == .offset(-16))

        let misc = try #require(try info.row(at: 0x1070))
        #expect(misc.registers[3] == .sameValue)
        #expect(misc.registers[12] == .undefined)
        #expect(misc.registers[13] == .register(14))
        #expect(misc.registers[15] == .offset(-24))
        #expect(misc.registers[14] == .valueOffset(-16))
        #expect(misc.argumentsSize == 16)

        let last = try #require(try info.row(at: 0x11ff))
        #expect(last.location == 0x1075)
        #expect(last.cfa == .expression([0x77, 0x08]))
        #expect(last.returnAddressRule == .offset(-16))
        #expect(last.registers[3] == .offset(8))

        #expect(try info.row(at: 0x0fff) == nil)
        #expect(try info.row(at: 0x1200) == nil)
    }

    @Test func malformedProgramsThrowNamingTheInstruction() throws {
        let info = try Self.info([0x41, 0x0b])
        #expect(throws: CFIError.self) { try info.row(at: 0x1005) }
        do {
            _ = try Self.info([0x3f]).row(at: 0x1000)
            Issue.record("an unknown opcode was accepted")
        } catch let error as CFIError {
            guard case let .unsupported(what, _) = error else { Issue.record("\(error)"); return }
            #expect(what.contains("0x3f"))
        } catch {
            Issue.record("\(error)")
        }
        // def_cfa_register needs a register+offset CFA.
        #expect(throws: CFIError.self) { try Self.info([0x0f, 0x01, 0x30, 0x0d, 0x06]).row(at: 0x1000) }
        // A block longer than its FDE.
        #expect(throws: CFIError.self) { try Self.info([0x0f, 0x7f, 0x30]).row(at: 0x1000) }
    }

    @Test func augmentationsZPLRAndSignalFramesAreDecoded() throws {
        // 'P': indirect pc-relative sdata4 personality; 'L' and 'R': pc-relative sdata4.
        let cie = EhFrameBuilder.cie(augmentation: "zPLR", augmentationData: [0x9b, 1, 2, 3, 4, 0x1b, 0x1b])
        let bytes = EhFrameBuilder.section(address: Self.address, cie: cie, fdes: [
            .init(begin: 0x4000, size: 0x10, instructions: [0x41, 0x0e, 0x10], augmentationData: [9, 9, 9, 9]),
        ])
        let info = try CallFrameInfo(ehFrame: bytes, address: Self.address)
        #expect(info.descriptions.map(\.pcRange) == [0x4000..<0x4010])
        #expect(try info.row(at: 0x4001)?.cfa == .registerOffset(register: 7, offset: 16))

        let signal = try Self.info([], cie: EhFrameBuilder.cie(augmentation: "zRS"))
        #expect(try signal.row(at: 0x1000)?.isSignalFrame == true)
        #expect(try Self.info().row(at: 0x1000)?.isSignalFrame == false)
    }

    @Test func absoluteAndUdata4PointerEncodings() throws {
        for (encoding, size) in [(UInt8(0x00), 8), (0x03, 4)] {
            let bytes = EhFrameBuilder.section(address: Self.address, cie: EhFrameBuilder.cie(augmentationData: [encoding]),
                                               fdes: [.init(begin: 0x5000, size: 0x20, instructions: [])],
                                               pointerSize: size, absolute: true)
            let info = try CallFrameInfo(ehFrame: bytes, address: Self.address)
            #expect(info.descriptions.map(\.pcRange) == [0x5000..<0x5020], "encoding \(encoding)")
        }
        // Data-relative FDE pointers have no base in .eh_frame.
        let datarel = EhFrameBuilder.section(address: Self.address, cie: EhFrameBuilder.cie(augmentationData: [0x3b]),
                                             fdes: [.init(begin: 0x5000, size: 0x20, instructions: [])])
        #expect(throws: CFIError.self) { try CallFrameInfo(ehFrame: datarel, address: Self.address) }
    }

    @Test func brokenRecordsThrow() {
        var bytes = EhFrameBuilder.section(address: Self.address, fdes: [.init(begin: 0x1000, size: 0x10, instructions: [])])
        let cieLength = EhFrameBuilder.cie().count
        bytes[cieLength + 4] = 0xf0  // the FDE's CIE pointer points before the section
        #expect(throws: CFIError.self) { try CallFrameInfo(ehFrame: bytes, address: Self.address) }
        let truncated = Array(EhFrameBuilder.section(address: Self.address, fdes: [.init(begin: 0x1000, size: 0x10, instructions: [])]).dropLast(9))
        #expect(throws: CFIError.self) { try CallFrameInfo(ehFrame: truncated, address: Self.address) }
    }

    @Test func thePLTExpressionSelectsTheCFAByPosition() throws {
        // binutils' PLT CFA: rsp + 8 + ((rip & 15) >= 11 ? 8 : 0).
        let code: [UInt8] = [0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22]
        func cfa(rip: UInt64) throws -> UInt64 {
            let registers = UnwindRegisters(rip: rip, rsp: 0x7000)
            return try DWARFExpression(code: code, register: { registers[dwarf: $0] }, memory: { _, _ in nil }).evaluate()
        }
        #expect(try cfa(rip: 0x1030) == 0x7008)
        #expect(try cfa(rip: 0x103b) == 0x7010)
    }

    @Test func expressionsDereferenceBranchAndRejectUnsupportedOps() throws {
        let memory: [UInt64: UInt64] = [0x7000: 0x1234]
        func run(_ code: [UInt8], _ initial: [UInt64] = []) throws -> UInt64 {
            try DWARFExpression(code: code, register: { $0 == 7 ? 0x6ff8 : nil },
                                memory: { a, n in memory[a].map { n == 8 ? $0 : $0 & ((1 << (8 * UInt64(n))) - 1) } })
                .evaluate(initial: initial)
        }
        #expect(try run([0x77, 0x08, 0x06]) == 0x1234)  // breg7 8; deref
        #expect(try run([0x77, 0x08, 0x94, 0x01]) == 0x34)  // deref_size 1
        #expect(try run([0x23, 0x10], [0x100]) == 0x110)  // plus_uconst on the pushed CFA
        #expect(try run([0x31, 0x28, 0x01, 0x00, 0x32, 0x33]) == 3)  // lit1; bra +1 over lit2; lit3
        #expect(try run([0x11, 0x7f, 0x1f]) == 1)  // consts -1; neg
        #expect(throws: EvaluationError.self) { try run([0x50]) }  // DW_OP_reg0: not an address
        #expect(throws: EvaluationError.self) { try run([0x70, 0x00]) }  // rax unknown
        #expect(throws: EvaluationError.self) { try run([0x2f, 0xfd, 0xff]) }  // skip -3: loops forever
        #expect(throws: EvaluationError.self) { try run([0x1a]) }  // and on an empty stack
    }

    // MARK: - Against binutils

    @Test(.needs("readelf"))
    func libcRowsMatchReadelfFramesInterp() throws {
        try compareWithReadelf(Prerequisite.libc)
    }

    @Test(.needsBusybox, .needs("readelf"))
    func busyboxRowsMatchReadelfFramesInterp() throws {
        guard let path = Prerequisite.busybox else { throw TestFailure("busybox is not installed") }
        try compareWithReadelf(path)
    }

    @Test(.needs("gcc", "readelf"))
    func compiledProgramRowsMatchReadelfFramesInterp() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        for (name, flags) in [("o2", ["-O2", "-fomit-frame-pointer"]), ("o0", ["-O0"]), ("static", ["-O2", "-static"])] {
            try compareWithReadelf(try compileC(callChainSource, name: name, flags: flags, in: dir))
        }
    }

    private static let columns: [String: Int] = [
        "rax": 0, "rdx": 1, "rcx": 2, "rbx": 3, "rsi": 4, "rdi": 5, "rbp": 6, "rsp": 7,
        "r8": 8, "r9": 9, "r10": 10, "r11": 11, "r12": 12, "r13": 13, "r14": 14, "r15": 15,
    ]

    private func compareWithReadelf(_ path: String) throws {
        let elf = try ELFFile(bytes: try readFile(path))
        let eh = try #require(try elf.ehFrameBytes())
        let info = try CallFrameInfo(ehFrame: eh.bytes, address: eh.address)
        let tables = try Readelf.frameTables(path)
        #expect(tables.filter { !$0.pcRange.isEmpty }.count == info.descriptions.count, "\(path): FDE count")
        var mismatches: [String] = [], rows = 0
        for table in tables {
            for (location, columns) in table.rows {
                rows += 1
                let row = try #require(try info.row(at: location), "\(path): no row at \(hex(location))")
                for (name, expected) in columns {
                    let actual = name == "CFA" ? Self.text(row.cfa)
                        : name == "ra" ? Self.text(row.returnAddressRule)
                        : Self.columns[name].map { Self.text(row.registers[$0]) } ?? expected
                    if actual != expected { mismatches.append("\(hex(location)) \(name): \(actual), readelf \(expected)") }
                }
            }
        }
        #expect(rows > 0)
        #expect(mismatches.isEmpty, "\(path): \(mismatches.count) of \(rows) rows differ: \(mismatches.prefix(5))")
    }

    /// A rule as `readelf -wF` prints it.
    private static func text(_ cfa: CFARule) -> String {
        switch cfa {
        case let .registerOffset(r, offset):
            return (columns.first { $0.value == r }?.key ?? "r\(r)") + (offset >= 0 ? "+\(offset)" : "\(offset)")
        case .expression: return "exp"
        }
    }

    private static func text(_ rule: RegisterRule?) -> String {
        switch rule {
        case nil, .undefined: return "u"
        case .sameValue: return "s"
        case let .offset(n): return "c" + (n >= 0 ? "+\(n)" : "\(n)")
        case let .valueOffset(n): return "v" + (n >= 0 ? "+\(n)" : "\(n)")
        case let .register(r): return "r\(r) (\(columns.first { $0.value == r }?.key ?? "?"))"
        case .expression: return "exp"
        case .valueExpression: return "vexp"
        }
    }
}
