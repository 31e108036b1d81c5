import Foundation
import Glibc
import VPlayABI
import VPlayBundle
import VPlayKernel
import VPlayReplay
import VPlaySyscalls

public let vplayVersion = "0.1.0"

extension Recorder {
    /// BPF path: the entries of calls the other threads were inside at the end that `log` lacks
    /// (the logger logs a call at its exit; the interrupt that stopped them made it return to be
    /// restarted, and that exit, taken out again, usually left the entry in place). The ptrace
    /// path has these entries from the entry stops.
    func callsInProgress(_ stopped: [(Int32, WaitStatus)], log: [LogEvent], time: UInt64) -> [LogEvent] {
        let inCall = Recorder.threadsEndingInCalls(log)
        return stopped.compactMap { tid, status in
            guard case .event(.stop, _) = status, !inCall.contains(tid), let regs = try? Tracee(tid).registers() else { return nil }
            let number = Int64(bitPattern: regs.origRax)
            guard number >= 0, Recorder.returnsToBeRestarted(regs.result) else { return nil }
            return .syscallEntry(tid: tid, time: time, number: Int32(truncatingIfNeeded: number), args: regs.syscallArgs, strings: [])
        }
    }

    /// Threads whose last event in `log` is a call's entry.
    static func threadsEndingInCalls(_ log: [LogEvent]) -> Set<Int32> {
        Set(lastEvents(log).compactMap { tid, index in
            if case .syscallEntry = log[index] { return tid }
            return nil
        })
    }

    /// The index of each thread's last event in `log`.
    static func lastEvents(_ log: [LogEvent]) -> [Int32: Int] {
        var last: [Int32: Int] = [:]
        for index in log.indices { last[log[index].tid] = index }
        return last
    }

    /// A result an interrupt gives a call it takes a thread out of: a restart code, or EINTR.
    static func returnsToBeRestarted(_ result: Int64) -> Bool {
        RestartErrno.isRestart(result) || result == -Errno.EINTR
    }

    /// BPF path: a thread whose last event is a call that returned to be restarted was taken
    /// out of it by the process's end (the logger saw the call return): the call did not
    /// return, as the ptrace path logs it (an entry without an exit).
    static func endingInsideCalls(_ log: [LogEvent], except crashTid: Int32) -> [LogEvent] {
        var drop: Set<Int> = []
        for (tid, index) in lastEvents(log) where tid != crashTid {
            if case .syscallExit(_, _, _, let result, _) = log[index], returnsToBeRestarted(result) { drop.insert(index) }
        }
        return drop.isEmpty ? log : log.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
    }

    /// Builds and writes the bundle of a process that ended abnormally. Called at its
    /// PTRACE_EVENT_EXIT stop, where memory and registers are still intact.
    func capture(_ process: TracedProcess, endingThread: TracedThread, status: Int32) throws -> WrittenBundle {
        guard let current = process.current else { throw TraceError("process \(process.pid) has no recording window") }
        let base = process.previous ?? current
        guard let shadow = base.shadow else { throw TraceError("window of process \(process.pid) has no snapshot") }
        let signal = status & 0x7f
        let crashTid = crashingThread(process, signal: signal) ?? endingThread.tid
        let captureStart = signal != 0 ? (threads[crashTid]?.lastSignalNanos ?? monotonicNanos()) : monotonicNanos()
        // Every thread must be stopped for its registers (and stack) to be read: the others may
        // still be running, or on their way to their exit stops. Their stops are handled later.
        // On the bpf path, what the logger saw of them on the way comes in first: a thread taken
        // out of a call logs its exit, and with it the call's entry where the thread switched out
        // inside it, so that its user code before the call replays before what others did then.
        let others = (try? stopOtherThreads(process, except: endingThread.tid)) ?? []
        if process.fastPath { absorbEvents(process) }
        var log = base.fullLog()
        if base !== current {
            // The current window times its events from its own start: put them on the base's clock.
            let offset = current.startNanos &- base.startNanos
            log += current.fullLog().dropFirst(current.syntheticPrefix).map { $0.delayed(by: offset) }
        }
        let endTime = monotonicNanos() &- base.startNanos

        if process.fastPath {
            log = Recorder.endingInsideCalls(log, except: crashTid)
            log += callsInProgress(others, log: log, time: endTime)
        }
        log.append(.processEnd(tid: crashTid, time: endTime, status: status))
        let crashThreads = crashSnapshots(process, first: crashTid)
        let crashRegs = crashThreads.first?.registers ?? Registers()
        let siginfo = lastSiginfo(log, tid: crashTid, signal: signal)
        let crash = CrashRecord(
            signal: signal != 0 ? signal : nil, signalName: signal != 0 ? signalName(signal) : nil,
            exitCode: signal == 0 ? (status >> 8) & 0xff : nil, code: siginfo?.code,
            faultAddress: siginfo?.address, pc: crashRegs.rip, tid: crashTid,
            time: isoTime(Date()), threads: crashThreads)
        let schedule = recordedSchedule(process, log: log)
        let manifest = Manifest(
            toolVersion: vplayVersion, createdAt: isoTime(Date()),
            process: RecordedProcess(pid: process.pid, program: Self.startedName(process), argv: process.argv,
                                     startTime: ProcFS.startTime(process.pid).map { isoTime(Date(timeIntervalSince1970: $0)) },
                                     executable: process.program),
            crash: crash,
            window: WindowInfo(seconds: options.window, duration: Double(endTime) / 1e9,
                               startReason: base.reason, startTime: isoTime(base.startWall),
                               snapshotSeconds: base.snapshotSeconds),
            log: summarize(log),
            memory: MemorySummary(savedBytes: 0, residentBytes: ProcFS.residentBytes(endingThread.tid),
                                  mappings: base.state.mappings.count),
            verified: false, warnings: process.warnings, container: options.container,
            recording: RecordingInfo(path: process.fastPath ? RecordingPath.bpf.rawValue : RecordingPath.ptrace.rawValue,
                                     schedule: schedule))
        var bundle = Bundle(manifest: manifest, state: base.state, pages: [], log: log)
        // The process as the ending thread sees it: a thread-group leader that exited first is a
        // zombie without memory or maps, while the others still have both.
        let view = endingThread.tid
        bundle.state.auxv = try? ProcFS.readBytes("/proc/\(view)/auxv")
        do {
            let maps = try ProcFS.maps(view)
            bundle.state.crashMappings = maps
            bundle.crashMemory = CrashArtifacts.stacks(pid: view, threads: crashThreads, maps: maps)
            var warnings: [String] = []
            bundle.objects = CrashArtifacts.objects(pid: view, maps: maps) { warnings.append($0) }
            bundle.manifest.warnings += warnings
        } catch {
            bundle.manifest.warnings.append("the memory map at the end could not be read (\(error)): no ELF objects or stacks from the crash")
        }
        try choosePages(&bundle, shadow: shadow, shared: base.shared ?? SharedCopy(), pid: view)
        // The BPF path: a window whose log misses something is never reported as verified.
        let gaps = (base === current ? base.unverifiable : base.unverifiable + current.unverifiable) + loggerLosses()
        if !gaps.isEmpty {
            bundle.manifest.verified = false
            for gap in gaps where !bundle.manifest.warnings.contains(gap) { bundle.manifest.warnings.append(gap) }
        }
        let path = bundlePath(process)
        try BundleWriter.write(bundle, to: path) { manifest in
            // Everything up to here, compression included, is the capture; the write itself follows.
            manifest.memory.captureSeconds = Double(monotonicNanos() &- captureStart) / 1e9
        }
        return WrittenBundle(path: path, pid: process.pid, signal: crash.signal, exitCode: crash.exitCode)
    }

    /// The partial checkpoint (docs/architecture.md): a trial replay with every window-start page missing,
    /// served from the shadow, finds the pages the window touches; when it reproduces the end,
    /// those pages are the bundle's and it is verified. Otherwise every resident page is kept.
    func choosePages(_ bundle: inout Bundle, shadow: Int32, shared: SharedCopy, pid: Int32) throws {
        let trial = options.trialReplay ? trialReplay(&bundle, shadow: shadow, shared: shared, pid: pid) : nil
        if trial?.reproduced != true {
            if let trial {
                logger.warning("trial replay of process \(bundle.manifest.process.pid) did not reproduce the end (\(trial.divergence ?? "?")); keeping every resident page, unverified")
            }
            bundle.pages = try savePages(shadow: shadow, mappings: bundle.state.mappings, shared: shared)
        }
        bundle.manifest.verified = trial?.reproduced == true
        bundle.manifest.trial = trial
        bundle.manifest.memory.savedBytes = bundle.pages.reduce(UInt64(0)) { $0 + UInt64($1.bytes.count) }
    }

    /// Runs the trial replay; when it reproduces the end, the pages it touched become the bundle's.
    func trialReplay(_ bundle: inout Bundle, shadow: Int32, shared: SharedCopy, pid: Int32) -> TrialReplay {
        let started = monotonicNanos()
        let trial: TrialReplay
        do {
            var replayOptions = ReplayOptions()
            replayOptions.pageSource = try WindowStartPages(shadow: shadow, copy: shared)
            replayOptions.refuseUnloggedWriters = true
            replayOptions.endCheck = sharedMemoryCheck(pid: pid, crashMappings: bundle.state.crashMappings ?? [])
            replayOptions.cpu = nil  // the recorder is pinned as configured already
            replayOptions.timeLimit = options.trialTimeLimit
            let replayer = Replayer(bundle: bundle, options: replayOptions, logger: logger)
            let outcome = try replayer.run()
            trial = TrialReplay(reproduced: outcome.reproduced, pagesTouched: replayer.touchedPageCount,
                                seconds: Double(monotonicNanos() &- started) / 1e9, divergence: outcome.divergence)
            if outcome.reproduced { bundle.pages = replayer.touchedPages }
        } catch {
            trial = TrialReplay(reproduced: false, pagesTouched: 0, seconds: Double(monotonicNanos() &- started) / 1e9,
                                divergence: "the trial replay could not run: \(error)")
        }
        logger.info("trial replay of process \(bundle.manifest.process.pid): \(trial.reproduced ? "reproduced" : "diverged"), \(trial.pagesTouched) pages touched, \(String(format: "%.3f", trial.seconds)) s")
        return trial
    }

    /// The thread whose last logged event is the delivery of the fatal signal.
    func crashingThread(_ process: TracedProcess, signal: Int32) -> Int32? {
        guard signal != 0 else { return nil }
        return process.threads.first { threads[$0]?.lastSignal == signal }
    }

    func crashSnapshots(_ process: TracedProcess, first: Int32) -> [ThreadSnapshot] {
        let order = [first] + process.threads.filter { $0 != first }
        return order.compactMap { tid in
            guard let regs = try? Tracee(tid).registers() else { return nil }
            return ThreadSnapshot(tid: tid, registers: regs, xstate: (try? Tracee(tid).xstate()) ?? [], signalMask: 0)
        }
    }

    func lastSiginfo(_ log: [LogEvent], tid: Int32, signal: Int32) -> (code: Int32, address: UInt64?)? {
        for event in log.reversed() {
            guard case .signal(let t, _, let s, let info, _, _) = event, t == tid, s == signal, info.count >= 24 else { continue }
            let code = info.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: Int32.self) }
            let address = info.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self) }
            let faults: Set<Int32> = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP]
            // Only a fault the kernel raised (si_code > 0) carries an address; a SIGSEGV sent with
            // kill or raise (a handler re-raising it) has the sender's pid there.
            return (code, faults.contains(signal) && code > 0 ? address : nil)
        }
        return nil
    }

    /// Window-start memory read from the shadow: every page that holds data (zero pages and
    /// never-touched anonymous pages are left out: replay maps zero-filled memory).
    func savePages(shadow: Int32, mappings: [MemoryMapping], shared: SharedCopy) throws -> [PageRun] {
        let memory = try ProcessMemory(pid: shadow)
        var pages = shared.runs
        for m in mappings where m.path != "[vvar]" && m.path != "[vsyscall]" && m.path != "[vvar_vclock]" {
            // Copied at window start (the shadow no longer maps it), or unknown.
            if SharedCopy.needsCopy(m) { continue }
            let anonymous = m.path.isEmpty || m.path.hasPrefix("[")
            let present = anonymous ? ProcFS.presentPages(shadow, start: m.start, end: m.end) : nil
            var address = m.start
            // Chunks of up to 1 MiB keep memory bounded for large mappings.
            while address < m.end {
                let end = min(m.end, address + (1 << 20))
                if let present {
                    let first = Int((address - m.start) / 4096), last = Int((end - m.start) / 4096)
                    if !present[first..<last].contains(true) { address = end; continue }
                }
                for run in memory.readAvailable(address, count: Int(end - address)) {
                    pages += nonZeroPages(run)
                }
                address = end
            }
        }
        return pages
    }

    /// How much of the threads' schedule the log holds: all of it on the bpf path while every
    /// thread stayed on the one recording CPU. A thread that set its own affinity (or whose
    /// cpuset changed) may have run beside the others: then only the syscall order is known.
    func recordedSchedule(_ process: TracedProcess, log: [LogEvent]) -> String {
        guard process.fastPath, let cpu = options.cpu else { return RecordingInfo.Schedule.syscalls }
        let setAffinity = log.contains { event in
            if case .syscallExit(_, _, SyscallNumber.sched_setaffinity, 0, _) = event { return true }
            return false
        }
        let elsewhere = process.threads.contains { ProcFS.allowedCPUs($0).map { $0 != [Int(cpu)] } ?? false }
        guard setAffinity || elsewhere else { return RecordingInfo.Schedule.full }
        warn(process, "a thread changed its CPU affinity (sched_setaffinity or its cpuset): threads may have run side by side, and where they interleaved is not fully logged")
        return RecordingInfo.Schedule.syscalls
    }

    func summarize(_ log: [LogEvent]) -> LogSummary {
        var syscalls = 0, signals = 0, rdtsc = 0, preemptions = 0
        for e in log {
            switch e {
            case .syscallExit: syscalls += 1
            case .signal: signals += 1
            case .rdtsc: rdtsc += 1
            case .preemption: preemptions += 1
            default: break
            }
        }
        return LogSummary(syscalls: syscalls, signals: signals, rdtsc: rdtsc, events: log.count, preemptions: preemptions)
    }

    func bundlePath(_ process: TracedProcess) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let program = Self.startedName(process)
        var name = "\(program)-\(process.pid)-\(formatter.string(from: Date())).vplay"
        if let prefix = options.bundlePrefix { name = "\(prefix)-\(name)" }
        return (options.outputDirectory as NSString).appendingPathComponent(name)
    }
}

extension Recorder {
    /// The name the process was started with, as `ps` shows it: argv[0]'s basename (not the
    /// executable a symlink leads to), else the executable's basename. Made safe for a file name.
    static func startedName(_ process: TracedProcess) -> String {
        startedName(argv: process.argv, executable: process.program)
    }

    static func startedName(argv: [String], executable: String) -> String {
        let base = { (path: String) in path.split(separator: "/").last.map(String.init) ?? "" }
        let clean = { (name: String) in String(name.unicodeScalars.map { $0.value < 0x20 || $0 == "\u{7f}" ? "_" : Character($0) }) }
        let name = clean(base(argv.first ?? ""))
        if !name.isEmpty { return name }
        let fallback = clean(base(executable))
        return fallback.isEmpty ? "unknown" : fallback
    }
}

func isoTime(_ date: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: date)
}
