// The BPF syscall logger in the real kernel: a gated C child (Programs/known_calls.c) is
// recorded from before its first instruction, and its events are checked call by call.

import Foundation
import Glibc
import Testing
import VPlayBPF
import VPlaySyscalls
import VPlayTestSupport

/// Why the logger cannot run here, nil when it can (root and BTF). Under CI=true the tests run
/// anyway and fail on the missing prerequisite.
let bpfProblem: String? = {
    if geteuid() != 0 { return "not root" }
    if access(SyscallLogger.btfPath, R_OK) != 0 { return "no \(SyscallLogger.btfPath)" }
    return nil
}()

/// Events the drain delivered, in sequence order.
final class EventSink: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [SyscallEvent] = []
    func add(_ batch: [SyscallEvent]) { lock.withLock { events += batch } }
    var sorted: [SyscallEvent] { lock.withLock { events.sorted { $0.sequence < $1.sequence } } }
}

/// Compiles the child into `dir` (each test's own, removed when it ends).
func buildKnownCalls(in dir: TempDirectory) throws -> String {
    let source = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "Programs/known_calls.c").path()
    let exe = dir.path + "/known_calls"
    let status = runAndWait(["/usr/bin/gcc", "-O1", "-pthread", "-o", exe, source])
    guard status == 0 else { throw TestFailure("gcc \(source) failed with status \(status)") }
    return exe
}

func runAndWait(_ argv: [String]) -> Int32 {
    var pid: pid_t = 0
    let rc = withCStringVector(argv) { posix_spawn(&pid, argv[0], nil, nil, $0, environ) }
    guard rc == 0 else { return -rc }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
}

func withCStringVector<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return (copies + [nil]).withUnsafeBufferPointer { body($0.baseAddress!) }
}

let SYS = (getppid: 110, getpid: 39, openat: 257, read: 0, clockGettime: 228, lseek: 8, readv: 19,
           mmap: 9, nanosleep: 35, socket: 41, bind: 49, getsockname: 51, fork: 57, wait4: 61, exitGroup: 231)

@Suite("The BPF syscall logger", .serialized, .timeLimit(.minutes(2)),
       .enabled(if: bpfProblem == nil || runningUnderCI, "BPF needs root and BTF (\(bpfProblem ?? "")); CI=true makes this a failure"))
struct SyscallLoggerTests {
    /// Runs known_calls `mode` recorded from its first instruction; returns every event,
    /// the child's pid, and what it reported.
    func record(_ arguments: [String], in dir: TempDirectory, cpu: Int32 = -1, logger: SyscallLogger, sink: EventSink,
                whileRunning: (Int32) throws -> Void = { _ in }) throws -> Int32 {
        let exe = try buildKnownCalls(in: dir)
        let child = try spawnGated([exe] + arguments, cpu: cpu)
        let process = ChildProcess(child.pid)
        defer { process.end(); close(child.gate) }
        try logger.record(tgid: child.pid)
        release(child.gate)
        try whileRunning(child.pid)
        let status = try process.wait(timeout: 30)
        #expect(status == .exited(code: 0), "known_calls \(arguments) ended with \(status)")
        try logger.sync()
        return child.pid
    }

    @Test func everyCallOfTheRecordedChildAppearsInOrderWithResultsAndBytes() throws {
        let dir = try TempDirectory(prefix: "vplay-bpf")
        defer { dir.remove() }
        let content = (0 ..< 8192).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        try Data(content).write(to: URL(filePath: dir.path + "/data"))
        let logger = try SyscallLogger()
        defer { logger.close() }
        let sink = EventSink()
        logger.startDraining(sink.add)
        let pid = try record(["calls", dir.path + "/data", dir.path + "/report"], in: dir, logger: logger, sink: sink)
        let report = try String(contentsOfFile: dir.path + "/report", encoding: .utf8).split(separator: " ").map { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let fields = report.compactMap { $0 }
        try #require(fields.count == 12, "report: \(report)")
        let (sock, bound, boundLength, port) = (fields[7], UInt64(fields[8]), UInt64(fields[9]), UInt16(fields[10]))
        let lock = UInt64(fields[11])
        let (seconds, nanoseconds, fd, buffer, page, grandchild) = (fields[0], fields[1], fields[2], UInt64(fields[3]), UInt64(fields[4]), Int32(fields[5]))

        let all = sink.sorted
        let mine = all.filter { $0.tgid == pid }
        #expect(all.allSatisfy { $0.tgid != getpid() }, "the unrecorded test runner's calls were logged")
        #expect(Set(all.map(\.sequence)).count == all.count, "sequence numbers repeat")
        #expect(mine.allSatisfy { $0.tid == pid })

        // The known calls start at the first of 100 getppid and follow without a gap.
        let start = try #require(mine.firstIndex { $0.number == SYS.getppid }, "no getppid among \(mine.count) events")
        let calls = Array(mine[start...])
        try #require(calls.count >= 117, "only \(calls.count) events after the first getppid")
        for event in calls[0 ..< 100] {
            #expect(event.number == SYS.getppid && event.result == Int64(getpid()) && event.flags.isEmpty && event.regions.isEmpty)
        }
        var next = calls[100...].makeIterator()
        func expectNext(_ number: Int, result: Int64, flags: SyscallEvent.Flags = [],
                        _ check: (SyscallEvent) -> Void = { _ in }, sourceLocation: SourceLocation = #_sourceLocation) {
            guard let event = next.next() else { Issue.record("events end before \(SyscallTable.name(number))", sourceLocation: sourceLocation); return }
            #expect(event.number == number && event.result == result && event.flags == flags,
                    "expected \(SyscallTable.name(number)) = \(result) \(flags), got \(event)", sourceLocation: sourceLocation)
            check(event)
        }
        expectNext(SYS.openat, result: fd) {
            // Nothing written; the path it opened is copied for the report.
            #expect($0.written.isEmpty)
            #expect($0.inputString(arg: 1) == dir.path + "/data")
            #expect($0.regions.map(\.isInputString) == [true])
        }
        expectNext(SYS.read, result: 100) {
            #expect($0.args[0] == UInt64(fd) && $0.args[2] == 100)
            #expect($0.regions == [.init(address: buffer, length: 100, bytes: Array(content[0 ..< 100]), copyError: 0)])
        }
        expectNext(SYS.clockGettime, result: 0) {
            let expected = withUnsafeBytes(of: (seconds.littleEndian, nanoseconds.littleEndian)) { Array($0) }
            #expect($0.regions.map(\.bytes) == [expected], "the timespec the child got")
            #expect($0.regions.map(\.length) == [16])
        }
        expectNext(SYS.lseek, result: 0)
        expectNext(SYS.read, result: 8192, flags: .truncated) {
            #expect($0.regions == [.init(address: buffer, length: 8192, bytes: Array(content[0 ..< 4096]), copyError: 0)])
        }
        expectNext(SYS.lseek, result: 0)
        expectNext(SYS.readv, result: 16, flags: .needsTracer) { #expect($0.regions.isEmpty) }
        expectNext(72, result: 0) { #expect($0.regions.isEmpty) }           // fcntl F_GETFD
        expectNext(72, result: 0) {                                          // fcntl F_GETLK
            // struct flock: the file is not locked, so the kernel stored l_type F_UNLCK (2).
            #expect($0.regions.map(\.address) == [lock] && $0.regions.map(\.length) == [32])
            #expect($0.regions.first?.bytes.prefix(2) == [2, 0])
        }
        expectNext(72, result: -Int64(EINVAL), flags: .needsTracer)          // a command unknown to the table
        expectNext(1000, result: -38, flags: .undescribed)
        expectNext(SYS.mmap, result: Int64(page))
        expectNext(SYS.nanosleep, result: 0, flags: .copyFailed) {
            #expect($0.regions.map(\.address) == [page])
            #expect($0.regions.map(\.copyError) == [-EFAULT])
            #expect($0.regions.allSatisfy { $0.bytes.isEmpty })
        }
        expectNext(SYS.socket, result: sock)
        expectNext(SYS.bind, result: 0) { #expect($0.regions.isEmpty) }
        expectNext(SYS.getsockname, result: 0) {
            // sockaddr_in: family 2, the port big-endian, 127.0.0.1, 8 zero bytes; then its length.
            let address: [UInt8] = [2, 0, UInt8(port >> 8), UInt8(port & 0xff), 127, 0, 0, 1] + [UInt8](repeating: 0, count: 8)
            #expect($0.regions == [.init(address: bound, length: 16, bytes: address, copyError: 0),
                                   .init(address: boundLength, length: 4, bytes: [16, 0, 0, 0], copyError: 0)])
        }
        expectNext(SYS.fork, result: Int64(grandchild))
        // wait4 stores the status (and rusage, null here) only when it reaped a child: it did.
        expectNext(SYS.wait4, result: Int64(grandchild)) {
            let status = UInt32(fields[6])   // exit_group(7): 7 << 8
            #expect($0.regions.map(\.length) == [4] && $0.regions.first?.bytes == withUnsafeBytes(of: status.littleEndian) { Array($0) })
        }

        // The forked process is followed from its first return (fork returning 0); exit_group,
        // which returns to nobody, has no event (the tracer sees it).
        let forked = all.filter { $0.tgid == grandchild }
        #expect(forked.map(\.number) == [SYS.fork, SYS.getppid, SYS.getpid])
        #expect(forked.map(\.result) == [0, Int64(pid), Int64(grandchild)])
        #expect(forked.allSatisfy { $0.flags.isEmpty })
        // Both left the map at their exits.
        #expect(try !logger.isRecorded(tgid: pid))
        #expect(try !logger.isRecorded(tgid: grandchild))
        let counters = try logger.counters()
        #expect(counters.ringDrops == 0 && counters.missedRuns == 0, "\(counters)")
        #expect(counters.copyFailures >= 1)
    }

    /// known_calls `mode REPORT` recorded to its end by a fresh logger that drains as it runs:
    /// the child's pid, what it reported, every event in sequence order.
    func recordReporting(_ mode: String, cpu: Int32 = -1) throws -> (pid: Int32, report: String, events: [SyscallEvent]) {
        let dir = try TempDirectory(prefix: "vplay-bpf")
        defer { dir.remove() }
        let logger = try SyscallLogger()
        defer { logger.close() }
        let sink = EventSink()
        logger.startDraining(sink.add)
        let pid = try record([mode, dir.path + "/report"], in: dir, cpu: cpu, logger: logger, sink: sink)
        return (pid, try String(contentsOfFile: dir.path + "/report", encoding: .utf8), sink.sorted)
    }

    @Test func everyThreadOfARecordedProcessIsLoggedFromItsFirstReturn() throws {
        let (pid, text, all) = try recordReporting("threads")
        let tid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), "report: \(text)")
        #expect(tid != pid)
        let thread = all.filter { $0.tid == tid }
        #expect(thread.allSatisfy { $0.tgid == pid })
        // glibc creates threads with clone3 (435), older ones with clone (56).
        // Its first event is the return from the creating call; glibc's thread start (rseq,
        // set_robust_list, sigprocmask) comes before the thread's own calls.
        try #require(thread.count >= 8, "thread events: \(thread)")
        #expect([435, 56].contains(thread[0].number) && thread[0].result == 0)
        // Its last calls: five getppid and gettid (its exit returns to nobody: no event).
        let own = Array(thread.suffix(6))
        #expect(own[0 ..< 5].allSatisfy { $0.number == SYS.getppid && $0.result == Int64(getpid()) && $0.flags.isEmpty })
        #expect(own[5].number == 186 && own[5].result == Int64(tid))
        #expect(zip(thread, thread.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
        // The creating call in the main thread returned the new tid.
        #expect(all.contains { $0.tid == pid && [435, 56].contains($0.number) && $0.result == Int64(tid) })
    }

    @Test func aCallThatBlocksEntersWhereItLetOtherThreadsRun() throws {
        // One CPU, as the recorder runs a recorded process.
        let (pid, text, all) = try recordReporting("handoff", cpu: 0)
        let fields = text.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
        try #require(fields.count == 2, "report: \(text)")
        let (writer, readEnd) = (fields[0], UInt64(fields[1]))
        let events = all.filter { $0.tgid == pid }
        let read = try #require(events.first { $0.tid == pid && $0.number == SYS.read && $0.args[0] == readEnd },
                                "no read of fd \(readEnd) in \(events.map { ($0.tid, $0.number) })")
        let write = try #require(events.first { $0.tid == writer && $0.number == 1 }, "no write of the second thread")
        let getppids = events.filter { $0.tid == writer && $0.number == SYS.getppid }
        try #require(getppids.count == 3)
        // The read began before everything the writer did while it waited and ended after the write.
        #expect(read.entrySequence < getppids[0].sequence && read.sequence > write.sequence,
                "read \(read.entrySequence)…\(read.sequence), getppid \(getppids[0].sequence), write \(write.sequence)")
        // A call that did not switch out enters right before its exit.
        #expect(getppids.allSatisfy { $0.entrySequence == $0.sequence })
    }

    @Test func threadsSwitchedOutInUserModeAreLoggedWithTheirRegistersAndStack() throws {
        let (pid, text, all) = try recordReporting("spin", cpu: 0)
        let tids = text.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
        try #require(tids.count == 2, "report: \(text)")
        let preempted = all.filter { $0.tgid == pid && $0.flags.contains(.preempted) }
        for tid in tids {
            let own = preempted.filter { $0.tid == tid }
            #expect(own.count >= 1, "spinner \(tid) was never logged as preempted: \(preempted.map(\.tid))")
            for e in own {
                let regs = try #require(e.preemptedRegisters, "a preemption without registers: \(e)")
                // Interrupted in user code: orig_rax -1, a user pc, the user code segment.
                #expect(regs.origRax == UInt64(bitPattern: -1) && regs.rip != 0 && regs.rip < 0x8000_0000_0000 && regs.cs & 3 == 3,
                        "registers of a preemption: rip 0x\(String(regs.rip, radix: 16)), orig_rax \(regs.origRax), cs \(regs.cs)")
                #expect(e.number == -1 && e.written.isEmpty)
                // The stack around sp as it was at the switch: the red zone and 192 bytes above.
                let stack = try #require(e.preemptedStack, "a preemption without its stack: \(e)")
                #expect(stack.address == regs.rsp - 128 && stack.bytes.count == 320,
                        "stack sample at 0x\(String(stack.address, radix: 16)) (\(stack.bytes.count) bytes), sp 0x\(String(regs.rsp, radix: 16))")
            }
        }
        // They took turns on the one CPU: the preemptions of the two alternate at least once.
        let order = preempted.map(\.tid)
        #expect(zip(order, order.dropFirst()).contains { $0 != $1 }, "preemptions: \(order)")
    }

    @Test func syncDeliversEveryEventOfAThreadThatIsBlocked() throws {
        let dir = try TempDirectory(prefix: "vplay-bpf")
        defer { dir.remove() }
        let fifo = dir.path + "/gate"
        try #require(mkfifo(fifo, 0o600) == 0, "mkfifo: errno \(errno)")
        let logger = try SyscallLogger()
        defer { logger.close() }
        let sink = EventSink()
        logger.startDraining(sink.add)
        _ = try record(["flood", "1000", fifo], in: dir, logger: logger, sink: sink, whileRunning: { pid in
            // The reader has opened the FIFO: the child is past its 1000 getppid.
            let writer = try openWhenReaderWaits(fifo, timeout: 30)
            defer { close(writer) }
            try logger.sync()
            let getppids = sink.sorted.filter { $0.tgid == pid && $0.number == SYS.getppid }
            #expect(getppids.count == 1000)
            var byte: UInt8 = 1
            #expect(write(writer, &byte, 1) == 1)
        })
    }

    @Test func aProcessThatIsNotRecordedIsNotLogged() throws {
        let dir = try TempDirectory(prefix: "vplay-bpf")
        defer { dir.remove() }
        let logger = try SyscallLogger()
        defer { logger.close() }
        let sink = EventSink()
        logger.startDraining(sink.add)
        let exe = try buildKnownCalls(in: dir)
        let other = try spawnGated([exe, "flood", "1000", "/nonexistent"])
        let process = ChildProcess(other.pid)
        defer { process.end(); close(other.gate) }
        release(other.gate)
        let status = try process.wait(timeout: 30)
        #expect(status == .exited(code: 3))   // the fifo does not exist
        try logger.sync()
        #expect(sink.sorted.isEmpty, "logged: \(sink.sorted.prefix(3))")
        #expect(try logger.counters().events == 0)
    }

    @Test func aFullRingLosesEventsOnlyWithAMarkAndASequenceGap() throws {
        let dir = try TempDirectory(prefix: "vplay-bpf")
        defer { dir.remove() }
        let fifo = dir.path + "/gate"
        try #require(mkfifo(fifo, 0o600) == 0, "mkfifo: errno \(errno)")
        let logger = try SyscallLogger()
        defer { logger.close() }
        let sink = EventSink()
        // Nothing drains while the child floods the 16 MiB ring (about 160,000 96-byte events).
        let pid = try record(["flood", "400000", fifo], in: dir, cpu: 0, logger: logger, sink: sink, whileRunning: { _ in
            let writer = try openWhenReaderWaits(fifo, timeout: 60)
            defer { close(writer) }
            logger.startDraining(sink.add)
            try logger.sync()
            var byte: UInt8 = 1
            #expect(write(writer, &byte, 1) == 1)
        })
        let counters = try logger.counters()
        #expect(counters.ringDrops > 0, "\(counters)")
        let mine = sink.sorted.filter { $0.tgid == pid }
        let marked = try #require(mine.first { $0.flags.contains(.dropsBefore) }, "no event carries dropsBefore")
        #expect(UInt64(marked.lostBefore) == counters.ringDrops)
        let index = try #require(mine.firstIndex(of: marked))
        // A lost call took one counter value, two when it let another thread run (a switch-out
        // mark and its exit): the gap before the marked call's entry is one to two per lost call.
        try #require(index > 0, "the first event of the process carries dropsBefore")
        let gap = marked.entrySequence - mine[index - 1].sequence - 1
        #expect(gap >= UInt64(marked.lostBefore) && gap <= 2 * UInt64(marked.lostBefore),
                "the sequence gap before the marked event, \(mine[index - 1].sequence) → \(marked.entrySequence), is one to two per lost call (\(marked.lostBefore))")
        #expect(mine.filter { $0.flags.contains(.dropsBefore) }.count == 1)
    }

    @Test func theTableExportsRulesForEveryCallAndMarksWhatNeedsCode() throws {
        #expect(SyscallTable.kernelWriteRule(SYS.read) == .described([KernelOut(arg: 1, length: .resultBytes(maxArg: 2), condition: .success)]))
        #expect(SyscallTable.kernelWriteRule(SYS.getppid) == .described([]))
        #expect(SyscallTable.kernelWriteRule(SYS.getsockname) == .described([KernelOut(arg: 1, length: .lengthAt(lengthArg: 2, max: 128), condition: .success)]))
        guard case .needsTracer = SyscallTable.kernelWriteRule(SYS.readv) else { Issue.record("readv"); return }
        guard case .byCommand(let ioctl) = SyscallTable.kernelWriteRule(16) else { Issue.record("ioctl"); return }
        #expect(ioctl.commandArg == 1 && ioctl.bufferArg == 2 && ioctl.writes[0x5401] == 36 && ioctl.writes[0x5421] == 0)  // TCGETS, FIONBIO
        guard case .unsupported = SyscallTable.kernelWriteRule(425) else { Issue.record("io_uring_setup"); return }
        #expect(SyscallTable.kernelWriteRule(1000) == nil)
        #expect(SyscallTable.kernelWriteRules().count > 370)
    }
}

/// Opens a FIFO for writing once its reader has opened it (ENXIO until then).
func openWhenReaderWaits(_ path: String, timeout: Double) throws -> Int32 {
    let deadline = monotonicSeconds() + timeout
    while true {
        let fd = open(path, O_WRONLY | O_NONBLOCK)
        if fd >= 0 { return fd }
        guard errno == ENXIO else { throw TestFailure("open \(path): errno \(errno)") }
        guard monotonicSeconds() < deadline else { throw TestFailure("no reader opened \(path) within \(timeout) s") }
        usleep(2000)
    }
}

@Suite("Syscall events keep their regions")
struct SyscallEventTests {
    let regions: [SyscallEvent.Region] = [
        .init(address: 0x1000, length: 8, bytes: [1, 2, 3, 4, 5, 6, 7, 8], copyError: 0),
        .init(address: 0x2000, length: 4096, bytes: [], copyError: -14),
        .init(address: 0x3000, length: 5, bytes: Array("/etc/".utf8), copyError: 0, kind: .inputString),
    ]

    @Test func regionsGivenAtInitComeBackUnchanged() {
        let e = SyscallEvent(sequence: 7, entrySequence: 5, tid: 10, tgid: 10, number: 0, args: [3, 0x1000, 8, 0, 0, 0],
                             result: 8, regions: regions, flags: [.copyFailed], lostBefore: 0)
        #expect(e.regions == regions)
        #expect(e.args == [3, 0x1000, 8, 0, 0, 0] && e.firstArg == 3)
        #expect(e.copiedBytes == 13)
        #expect(e.written.count == 2)
    }

    @Test func completingAnEventReplacesTheWrittenRegionsAndKeepsTheStrings() {
        let e = SyscallEvent(sequence: 7, entrySequence: 7, tid: 10, tgid: 10, number: 257, args: [0, 0x3000, 0, 0, 0, 0],
                             result: 3, regions: regions, flags: [.copyFailed, .stopped], lostBefore: 0)
        let read = SyscallEvent.Region(address: 0x2000, length: 3, bytes: [9, 9, 9], copyError: 0)
        let done = e.completed(with: [read])
        #expect(done.written == [read])
        #expect(done.inputString(arg: 1) == "/etc/")
        #expect(done.flags == [.stopped])
        #expect(done.args == e.args && done.sequence == 7)
    }

    @Test func anEventWithoutRegionsHasNone() {
        let e = SyscallEvent(sequence: 1, entrySequence: 1, tid: 1, tgid: 1, number: 110, args: [], result: 1,
                             regions: [], flags: [], lostBefore: 0)
        #expect(e.regions.isEmpty && e.copiedBytes == 0 && e.args == [0, 0, 0, 0, 0, 0])
    }
}
