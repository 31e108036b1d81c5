// The crash report (issue 6): `inspect` of bundles recorded from real programs shows the
// crashing function in a symbolized backtrace (by .eh_frame CFI or frame pointers, and says
// which), the other threads, the registers and the decoded syscalls; and `inspect`, `verify`
// and `list` survive hundreds of damaged bundles with a clear error.

import Foundation
import Testing
import VPlayBundle

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    @Test("crash report of file_input: main crashed, called from libc; the input file's open and read decoded")
    func crashReportFileInput() throws {
        let ws = try Workspace("report_file_input")
        defer { ws.remove() }
        let input = try ws.write("input.txt", "a line of input longer than thirty-two bytes\n")
        let (program, bundle) = try recordCrash("file_input", in: ws, arguments: [ws.path("input.txt")])
        let text = try inspectText(bundle, ["--syscalls", "all"])
        expectLines(text, [
            "  pc        0x", "main+0x", "(\(program))",
            "  end       SIGSEGV (SEGV_MAPERR: address not mapped) in thread ",
            "openat(AT_FDCWD, \"\(input)\", O_RDONLY) = 3",
            "read(3, \"a line of input longer than thir\"..., 4096) = 45",
            "+++ killed by SIGSEGV +++", "REGISTERS of thread ", "  rip 0x", "memory map at window start", "[stack]",
        ])
        let json = try VPlay.inspect(bundle)
        let crashed = try crashedBacktrace(json)
        #expect(symbols(crashed).first == "main", "frame 0 must be main: \(symbols(crashed))")
        #expect(symbols(crashed).contains("__libc_start_main"), "libc's __libc_start_main is below main: \(symbols(crashed))")
        #expect(crashed[key: "complete"]?.bool == true, "\(crashed)")
        #expect(json["crash.pcLocation.symbol"]?.string == "main" && json["crash.codeName"]?.string == "SEGV_MAPERR", "\(json.brief)")
        #expect(json["registers"]?.array?.first?[key: "rip"]?.uint64 == json["crash.pc"]?.uint64, "registers[0].rip is the pc")
        let calls = json["recentSyscalls"]?.array?.compactMap { $0[key: "call"]?.string } ?? []
        #expect(calls.contains("openat(AT_FDCWD, \"\(input)\", O_RDONLY) = 3"), "\(calls)")
        let size = (try FileManager.default.attributesOfItem(atPath: bundle)[.size] as? NSNumber)?.uint64Value
        #expect(json["bundleBytes"]?.uint64 == size, "bundleBytes must be the file's size")
        let objects = json["objects"]?.array ?? []
        #expect(objects.contains { $0[key: "path"]?.string == program && ($0[key: "symbols"]?.int ?? 0) > 0 && $0[key: "start"]?.uint64 != nil },
                "the program is a placed object with symbols: \(objects)")
        #expect(json["mappings"]?.array?.allSatisfy { $0[key: "savedPages"]?.int != nil && $0[key: "savedBytes"] != nil } == true)
    }

    @Test("crash report: -O2 -fomit-frame-pointer unwinds by .eh_frame CFI through three calls to main")
    func crashReportByCFI() throws {
        let ws = try Workspace("report_cfi")
        defer { ws.remove() }
        let (_, bundle) = try recordNestedCalls(in: ws, flags: ["-O2", "-fomit-frame-pointer"])
        let json = try VPlay.inspect(bundle)
        let crashed = try crashedBacktrace(json)
        #expect(Array(symbols(crashed).prefix(4)) == ["store_result", "checksum_field", "parse_record", "main"], "\(symbols(crashed))")
        #expect(methods(crashed).dropFirst().allSatisfy { $0 == "cfi" }, "every caller by CFI: \(methods(crashed))")
        #expect(crashed[key: "methods"]?.array?.compactMap(\.string) == ["cfi"], "\(crashed)")
        #expect(crashed[key: "complete"]?.bool == true, "\(crashed)")
        let text = try inspectText(bundle)
        expectLines(text, ["(crashed; unwound with .eh_frame CFI)", "store_result", "checksum_field+0x", "parse_record+0x",
                           "main+0x", "[.eh_frame CFI]", "(end of the stack: outermost frame)"])
    }

    @Test("crash report: -O0 without unwind tables unwinds the program by frame pointers, libc by CFI")
    func crashReportByFramePointers() throws {
        let ws = try Workspace("report_fp")
        defer { ws.remove() }
        let (_, bundle) = try recordNestedCalls(in: ws, flags: ["-O0", "-fno-omit-frame-pointer", "-fno-asynchronous-unwind-tables"])
        let json = try VPlay.inspect(bundle)
        let crashed = try crashedBacktrace(json)
        #expect(Array(symbols(crashed).prefix(4)) == ["store_result", "checksum_field", "parse_record", "main"], "\(symbols(crashed))")
        #expect(Array(methods(crashed).prefix(4)) == ["registers", "frame-pointer", "frame-pointer", "frame-pointer"], "\(methods(crashed))")
        #expect(crashed[key: "methods"]?.array?.compactMap(\.string) == ["frame-pointer", "cfi"], "\(crashed)")
        let text = try inspectText(bundle)
        expectLines(text, ["(crashed; unwound with frame pointers and .eh_frame CFI)", "[frame pointers]", "[.eh_frame CFI]"])
    }

    @Test("crash report of threads: the worker crashed, the main thread waits in pthread_join; --thread selects one")
    func crashReportThreads() throws {
        let ws = try Workspace("report_threads")
        defer { ws.remove() }
        try ws.write("input.txt", "the worker thread reads this\n")
        let (_, bundle) = try recordCrash("threads", in: ws, arguments: [ws.path("input.txt")])
        let json = try VPlay.inspect(bundle)
        let traces = json["backtraces"]?.array ?? []
        try #require(traces.count == 2, "two threads: \(traces)")
        let worker = symbols(try crashedBacktrace(json))
        #expect(worker.first == "worker", "\(worker)")
        let waiting = try #require(traces.first { $0[key: "crashed"]?.bool == false })
        #expect(symbols(waiting).contains("main"), "the main thread's backtrace reaches main: \(symbols(waiting))")
        let mainTID = try #require(waiting[key: "tid"]?.int)
        let text = try inspectText(bundle, ["--thread", String(mainTID), "--syscalls", "3"])
        expectLines(text, ["BACKTRACE of thread \(mainTID) (at the crash;", "REGISTERS of thread \(mainTID)",
                           "KERNEL INTERACTIONS of thread \(mainTID): last 3 of", ") = ?"])
        #expect(!text.contains("(crashed;"), "--thread shows only that thread:\n\(text)")
        let one = try JSON.parse(try VPlay.run(["inspect", bundle, "--json", "--thread", String(mainTID)]).stdout)
        #expect(one["backtraces"]?.array?.count == 1 && one["registers"]?.array?.count == 1, "\(one.brief)")
    }

    @Test("crash report of assert_abort: abort inside libc, called from main")
    func crashReportAbort() throws {
        let ws = try Workspace("report_abort")
        defer { ws.remove() }
        try ws.write("number.txt", "5\n")
        let (_, bundle) = try recordCrash("assert_abort", in: ws, arguments: [ws.path("number.txt")], signal: SIGABRT)
        let names = symbols(try crashedBacktrace(try VPlay.inspect(bundle)))
        let abort = try #require(names.firstIndex(of: "abort"), "abort in \(names)")
        #expect(names[abort...].contains("main"), "main below abort: \(names)")
        expectLines(try inspectText(bundle), ["SIGABRT (SI_TKILL: sent by tkill/tgkill (abort, raise))", "tgkill(", "SIGABRT) = 0"])
    }

    // MARK: - Helpers

    /// Compiles an example, records it to exactly one bundle, and returns the program and bundle paths.
    private func recordCrash(_ example: String, in ws: Workspace, arguments: [String], flags: [String] = [],
                             signal: Int32 = SIGSEGV) throws -> (String, String) {
        try Prerequisites.require()
        let program = try ws.compile(example, extraFlags: flags)
        let rec = try VPlay.record([program] + arguments, in: ws)
        #expect(rec.exitCode == 128 + signal, "\(rec)")
        let bundles = try ws.bundles()
        try #require(bundles.count == 1, "one bundle expected:\n\(rec)")
        return (program, bundles[0])
    }

    private func recordNestedCalls(in ws: Workspace, flags: [String]) throws -> (String, String) {
        try ws.write("input.txt", "record 17: the checksum of this line decides where it crashes\n")
        return try recordCrash("nested_calls", in: ws, arguments: [ws.path("input.txt")], flags: flags)
    }

    private func inspectText(_ bundle: String, _ options: [String] = []) throws -> String {
        let r = try VPlay.run(["inspect", bundle] + options)
        guard r.exitCode == 0 else { throw E2EError("inspect failed:\n\(r)") }
        return r.stdout
    }

    private func expectLines(_ text: String, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for fragment in fragments {
            #expect(text.contains(fragment), "missing \(fragment):\n\(text)", sourceLocation: sourceLocation)
        }
    }

    private func crashedBacktrace(_ json: JSON) throws -> JSON {
        let traces = json["backtraces"]?.array ?? []
        let first = try #require(traces.first, "no backtraces: \(json.brief)")
        #expect(first[key: "crashed"]?.bool == true && first[key: "tid"]?.int == json["crash.tid"]?.int,
                "the crashing thread comes first: \(first)")
        return first
    }

    private func symbols(_ trace: JSON) -> [String] {
        (trace[key: "frames"]?.array ?? []).map { $0[key: "symbol"]?.string ?? "??" }
    }

    private func methods(_ trace: JSON) -> [String] {
        (trace[key: "frames"]?.array ?? []).map { $0[key: "method"]?.string ?? "?" }
    }
}
