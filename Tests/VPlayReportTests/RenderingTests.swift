import Foundation
import Testing
import VPlayBundle
import VPlayJSON
@testable import VPlayReport

@Suite("the text and JSON renderings")
struct RenderingTests {
    private func json(_ report: CrashReport) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(try ReportJSON.render(report).utf8))
    }

    @Test func jsonKeepsTheManifestKeysAndAddsTheReport() throws {
        let report = CrashReport(bundle: Fixture.bundle(), path: "/tmp/b.vplay", fileSize: 12345)
        let root = try json(report)
        for key in ["formatVersion", "toolVersion", "createdAt", "process", "window", "log", "memory", "verified",
                    "warnings", "container", "trial", "mappings", "recentSyscalls", "backtraces", "registers", "objects",
                    "bundleBytes", "bundlePath", "reportWarnings", "recentSyscallsTotal"] {
            #expect(root[key] != nil, "missing key \(key)")
        }
        let crash = try #require(root["crash"])
        #expect(crash["signal"] == .int(11) && crash["exitCode"] == .null && crash["faultAddress"] == .int(0x10))
        #expect(crash["codeName"] == .string("SEGV_MAPERR") && crash["codeMeaning"] == .string("SEGV_MAPERR: address not mapped"))
        #expect(crash["pcSymbol"] == .string("\(Fixture.program)+0x1010"))
        #expect(crash["threads"] != nil && crash["faultMapping"] == .null)
        #expect(root["memory"]?["savedBytes"] == .int(3 * 4096 + 100) && root["memory"]?["savedPages"] == .int(4))
        #expect(root["bundleBytes"] == .int(12345) && root["trial"]?["reproduced"] == .bool(true))
        guard case .array(let mappings)? = root["mappings"], case .array(let calls)? = root["recentSyscalls"],
              case .array(let traces)? = root["backtraces"], case .array(let regs)? = root["registers"] else {
            Issue.record("arrays missing: \(root)")
            return
        }
        #expect(mappings.first?["savedBytes"] == .int(4196) && mappings.first?["savedPages"] == .int(2))
        #expect(calls.first?["call"] == .string(#"openat(AT_FDCWD, "/etc/app.conf", O_RDONLY) = 3"#))
        #expect(calls.first?["secondsBeforeEnd"] == .double(0.002) && calls.first?["tid"] == .int(7))
        #expect(traces.first?["crashed"] == .bool(true) && traces.first?["methods"] == .array([.string("frame-pointer")]))
        guard case .array(let frames)? = traces.first?["frames"] else { Issue.record("no frames"); return }
        #expect(frames.map { $0["pc"] } == [.int(0x401010), .int(0x401234), .int(0x401500)])
        #expect(frames.map { $0["method"] } == [.string("registers"), .string("frame-pointer"), .string("frame-pointer")])
        // 64-bit values stay exact: rax is UInt64.max.
        #expect(regs.first?["rax"] == .uint(UInt64.max) && regs.first?["rip"] == .int(0x401010) && regs.first?["tid"] == .int(7))
    }

    @Test func jsonShowsAnExitWithNullSignalFields() throws {
        let root = try json(CrashReport(bundle: Fixture.bundle(signal: nil), path: "b", fileSize: 0))
        #expect(root["crash"]?["signal"] == .null && root["crash"]?["exitCode"] == .int(3))
        #expect(root["crash"]?["codeMeaning"] == .null && root["crash"]?["faultAddress"] == .null)
    }

    @Test func textHasEverySectionInOrder() {
        let container = ["id": "c0ffee", "bundle": "/run/oci/c0ffee", "io.vplay.record": "1"]
        let text = ReportText.render(CrashReport(bundle: Fixture.bundle(container: container), path: "/tmp/b.vplay", fileSize: 3 << 20))
        let headings = ["CONTAINER", "PROCESS", "CRASH", "BACKTRACE of thread 7 (crashed; unwound with frame pointers)",
                        "BACKTRACE of thread 8", "REGISTERS of thread 7", "KERNEL INTERACTIONS", "MEMORY", "WARNINGS"]
        var previous = text.startIndex
        for heading in headings {
            guard let range = text.range(of: "\n" + heading, range: previous..<text.endIndex) else {
                Issue.record("no \(heading) after the previous section:\n\(text)")
                return
            }
            previous = range.upperBound
        }
        for line in ["  id        c0ffee", "  annotation io.vplay.record=1", "  argv      /usr/bin/crashy --now",
                     "  end       SIGSEGV (SEGV_MAPERR: address not mapped) in thread 7",
                     "  fault     address 0x10, not in any mapping", "  verified  yes: the trial replay reproduced the end",
                     #"[7] openat(AT_FDCWD, "/etc/app.conf", O_RDONLY) = 3"#, "  -0.002000  [7] openat",
                     "[7] --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---", "+++ killed by SIGSEGV +++",
                     "3145728 bytes", "12388 bytes saved of 1048576 resident", "memory map at window start",
                     "  #1  0x0000000000401234  crashy+0x1234", "[frame pointers]", "(end of the stack: outermost frame)",
                     "  rax 0xffffffffffffffff", "eflags 0x246 [ PF ZF IF ]", "  rdrand used at 0x401234"] {
            #expect(text.contains(line), "missing \(line):\n\(text)")
        }
    }

    @Test func textOfAnExit() {
        let text = ReportText.render(CrashReport(bundle: Fixture.bundle(signal: nil), path: "b", fileSize: 0))
        #expect(text.contains("  end       exit code 3 in thread 7") && text.contains("+++ exited with 3 +++"))
        #expect(!text.contains("fault"))
    }

    @Test func recordedTextCannotBreakTheLayout() {
        var bundle = Fixture.bundle()
        bundle.manifest.process.argv = ["/bin/evil", "two words", "line\nbreak", ""]
        bundle.manifest.warnings = ["multi\nline"]
        let text = ReportText.render(CrashReport(bundle: bundle, path: "b", fileSize: 0))
        #expect(text.contains(#"  argv      /bin/evil 'two words' 'line\nbreak' ''"#), "\(text)")
        #expect(text.contains(#"  multi\nline"#))
    }

    @Test func jsonEscapesControlCharactersAndPrintsIntegralDoublesPlainly() {
        let value = JSONValue.object(["s": .string("a\"b\\c\n\u{1}é"), "d": .double(2), "f": .double(0.5), "n": .double(.nan),
                                      "e": .array([]), "o": .object([:])])
        #expect(value.rendered() == "{\n  \"d\" : 2,\n  \"e\" : [],\n  \"f\" : 0.5,\n  \"n\" : null,\n  \"o\" : {},\n  \"s\" : \"a\\\"b\\\\c\\n\\u0001é\"\n}")
    }
}
