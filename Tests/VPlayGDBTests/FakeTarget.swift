// An in-memory GDBTarget for checking the server's exact replies.

import Foundation
import VPlayTestSupport
import Glibc
import VPlayGDB

final class FakeTarget: GDBTarget {
    static let main: GDBThreadID = 0x1234
    static let second: GDBThreadID = 0x1235
    static let memoryBase: UInt64 = 0x1000

    var capabilities: GDBTargetCapabilities = []
    var currentStop = GDBStopEvent(thread: FakeTarget.main, reason: .signal(SIGTRAP))
    var threadList: [GDBThreadID] = [FakeTarget.main, FakeTarget.second]
    var registers: [GDBThreadID: AMD64Registers] = [:]
    /// 256 readable bytes at `memoryBase`; nothing else exists.
    var memory = (0..<256).map { UInt8($0) }
    var breakpoints: Set<GDBBreakpoint> = []
    var resumes: [GDBResumeRequest] = []
    /// Returned by successive resumes (then the last one again).
    var scriptedStops: [GDBStopEvent] = [GDBStopEvent(thread: FakeTarget.main, reason: .softwareBreakpoint)]
    /// Resume blocks until interrupted (or 10 s pass).
    var blocksUntilInterrupted = false
    var killed = false
    var detached = false
    let libraryList = GDBLibraryList(mainLinkMap: 0x7000, libraries: [
        GDBLibrary(path: "/lib/libc & co.so", linkMap: 0x7100, loadBias: 0x7f0000, dynamicSection: 0x7f1000),
    ])
    let files: GDBFileProvider
    private let wake = DispatchSemaphore(value: 0)

    init(files: [String: [UInt8]] = [:]) {
        self.files = .inMemory(files, links: ["/proc/self/exe": "/bin/app"])
        var r = AMD64Registers()
        r.rip = 0x401000
        r.rsp = 0x7ffe0000
        r.rbp = 0x7ffe0010
        registers[FakeTarget.main] = r
        registers[FakeTarget.second] = AMD64Registers()
    }

    func threads() throws -> [GDBThreadID] { threadList }

    func readRegisters(thread: GDBThreadID) throws -> AMD64Registers {
        guard let r = registers[thread] else { throw GDBTargetError.noSuchThread(thread) }
        return r
    }

    func writeRegisters(_ registers: AMD64Registers, thread: GDBThreadID) throws {
        guard self.registers[thread] != nil else { throw GDBTargetError.noSuchThread(thread) }
        self.registers[thread] = registers
    }

    func readMemory(at address: UInt64, count: Int) throws -> [UInt8] {
        let end = FakeTarget.memoryBase + UInt64(memory.count)
        guard address >= FakeTarget.memoryBase, address < end else {
            throw GDBTargetError.memoryUnavailable(address: address, count: count)
        }
        let start = Int(address - FakeTarget.memoryBase)
        return Array(memory[start..<min(memory.count, start + count)])
    }

    func writeMemory(at address: UInt64, bytes: [UInt8]) throws {
        guard address >= FakeTarget.memoryBase, address + UInt64(bytes.count) <= FakeTarget.memoryBase + UInt64(memory.count) else {
            throw GDBTargetError.memoryUnavailable(address: address, count: bytes.count)
        }
        let start = Int(address - FakeTarget.memoryBase)
        memory.replaceSubrange(start..<start + bytes.count, with: bytes)
    }

    func insertBreakpoint(_ breakpoint: GDBBreakpoint) throws {
        guard breakpoint.kind != .readWatchpoint else { throw GDBTargetError.unsupported("read watchpoints") }
        breakpoints.insert(breakpoint)
    }

    func removeBreakpoint(_ breakpoint: GDBBreakpoint) throws { breakpoints.remove(breakpoint) }

    func resume(_ request: GDBResumeRequest) throws -> GDBStopEvent {
        resumes.append(request)
        if blocksUntilInterrupted {
            let interrupted = wake.wait(timeout: .now() + 10) == .success
            return GDBStopEvent(thread: FakeTarget.main, reason: interrupted ? .interrupted : .signal(SIGALRM))
        }
        let stop = scriptedStops.count > 1 ? scriptedStops.removeFirst() : scriptedStops[0]
        currentStop = stop
        return stop
    }

    var interruptHandler: @Sendable () -> Void {
        { [wake] in wake.signal() }
    }

    func executablePath() throws -> String { "/bin/app" }
    func libraries() throws -> GDBLibraryList { libraryList }
    func auxiliaryVector() throws -> [UInt8] { [6, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0] }
    func kill() throws { killed = true }
    func detach() throws { detached = true }
}

/// Runs the server over files: the scripted packets as input, the replies collected.
enum ScriptedSession {
    struct Result {
        var replies: [[UInt8]]
        var acks: Int
        var nacks = 0
        var end: GDBSessionEnd
        var texts: [String] { replies.map { String(decoding: $0, as: UTF8.self) } }
    }

    static func run(_ target: FakeTarget, _ packets: [String], raw: [UInt8]? = nil) throws -> Result {
        try run(target, rawInput: raw ?? packets.flatMap { PacketCodec.frame(Array($0.utf8)) + [UInt8(ascii: "+")] })
    }

    static func run(_ target: FakeTarget, rawInput: [UInt8]) throws -> Result {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (input, output) = (dir.path + "/in", dir.path + "/out")
        guard FileManager.default.createFile(atPath: input, contents: Data(rawInput)) else {
            throw TestFailure("cannot create \(input)")
        }
        let r = open(input, O_RDONLY | O_CLOEXEC)
        let w = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard r >= 0, w >= 0 else { throw TestFailure("open session files: errno \(errno)") }
        let end = try GDBServer(target: target).serve(GDBConnection(readFD: r, writeFD: w))
        let written = Array(FileManager.default.contents(atPath: output) ?? Data())
        var parser = PacketParser()
        var result = Result(replies: [], acks: 0, end: end)
        for event in parser.feed(written) {
            switch event {
            case let .packet(p): result.replies.append(p)
            case .ack: result.acks += 1
            case .nack: result.nacks += 1
            default: throw TestFailure("unexpected output from the server: \(event)")
            }
        }
        return result
    }
}
