import Foundation
import Testing
@testable import VPlaySyscalls

@Suite("GeneratedFiles: the committed constants are the table's")
struct GeneratedFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test("Sources/VPlayABI/SyscallNumbers.swift and the C header equal what the table generates",
          arguments: [("Sources/VPlayABI/SyscallNumbers.swift", SyscallTable.generatedSwiftConstants()),
                      ("Sources/CVPlay/include/vplay_syscall_numbers.h", SyscallTable.generatedCHeader())])
    func committedFileMatches(path: String, generated: String) throws {
        let file = Self.root + "/" + path
        if ProcessInfo.processInfo.environment["VPLAY_REGENERATE"] == "1" {
            try generated.write(toFile: file, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOfFile: file, encoding: .utf8)
        #expect(committed == generated, "\(path) is stale: VPLAY_REGENERATE=1 swift test --filter GeneratedFiles")
    }

    @Test("every named number is in the constants, and only those")
    func constantsCoverTheTable() {
        let names = SyscallTable.namedNumbers
        #expect(names.count > 350)
        #expect(names.first { $0.name == "rseq" }?.number == 334)
        #expect(names.first { $0.name == "execveat" }?.number == 322)
    }
}
