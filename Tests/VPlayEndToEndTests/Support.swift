// Shared helpers for the end-to-end tests: running processes with a hard timeout,
// temp workspaces, compiling the C examples, locating and driving `vplay-bundle`,
// parsing its JSON, and the checks every crash scenario shares.
//
// Nothing here silently skips: a missing prerequisite (gcc, ptrace permission, the built
// vplay-bundle executable) throws with a message that says what is missing and how to fix it.

import Foundation
import Testing
import VPlayTestSupport

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Errors

struct E2EError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Running processes

/// How a process ended, with everything it printed.
struct ProcessResult: CustomStringConvertible {
    var command: [String]
    var pid: pid_t
    /// Set when the process exited (exit code).
    var exitCode: Int32?
    /// Set when the process was killed by a signal.
    var signal: Int32?
    var stdout: String
    var stderr: String
    var timedOut: Bool
    var seconds: Double

    /// The shell's view: the exit code, or 128+N when killed by signal N.
    var status: Int32 { exitCode ?? (128 + (signal ?? 0)) }

    var description: String {
        let how = timedOut ? "TIMED OUT (killed)" : exitCode.map { "exit \($0)" } ?? "signal \(signal ?? 0)"
        return """
            $ \(command.joined(separator: " "))
            -> \(how) after \(String(format: "%.2f", seconds)) s
            --- stdout ---
            \(stdout.suffix(4000))
            --- stderr ---
            \(stderr.suffix(4000))
            """
    }
}

/// Runs `executable` (looked up in PATH if it has no slash) with a hard timeout.
///
/// The child gets its own session and process group, default signal dispositions, an empty signal
/// mask and /dev/null as stdin; stdout and stderr go to temp files that are read back. When the
/// timeout expires, the process group this function created (whose id is the child's pid) is sent
/// SIGKILL — only what this call started, never anything found by name — and the result says
/// `timedOut`.
///
/// Under the leak check (`LeakLedger.current`, set by the `.leakChecked` trait), the child carries
/// its ledger token in its environment, and when it has ended, whatever it started that is still
/// alive (a shadow, an orphan) is recorded as a leak — the test fails — and killed by pid.
/// `survivorsAllowed`: the caller expects processes to outlive this one (they are killed, not
/// counted).
func runProcess(
    _ executable: String, _ arguments: [String], cwd: String? = nil,
    environment: [String: String] = [:], timeout: Double, survivorsAllowed: Bool = false
) throws -> ProcessResult {
    try SpawnedProcess(executable, arguments, cwd: cwd, environment: environment)
        .wait(timeout: timeout, survivorsAllowed: survivorsAllowed)
}

/// A process started as `runProcess` starts it; `wait` collects it. For tests that act on a
/// process while it runs.
final class SpawnedProcess {
    let command: [String]
    let pid: pid_t
    let start: Date
    private let outDir: String
    private let ledger: LeakLedger?
    private var result: ProcessResult?

    init(_ executable: String, _ arguments: [String], cwd: String? = nil,
         environment: [String: String] = [:]) throws {
        let command = [executable] + arguments
        let outDir = try makeTempDirectory(prefix: "vplay-e2e-out")
        let outPath = outDir + "/stdout", errPath = outDir + "/stderr"
        let ledger = LeakLedger.current
        let start = Date()
        switch spawnInOwnSession(command, stdin: "/dev/null", stdout: outPath, stderr: errPath, cwd: cwd,
                                 environment: environment, ledger: ledger) {
        case .success(let pid): self.pid = pid
        case .failure(let failure):
            try? FileManager.default.removeItem(atPath: outDir)
            throw E2EError(failure.description)
        }
        self.command = command
        self.start = start
        self.outDir = outDir
        self.ledger = ledger
    }

    deinit {
        if result == nil { _ = try? wait(timeout: 0, survivorsAllowed: true) }
        try? FileManager.default.removeItem(atPath: outDir)
    }

    /// Waits until `timeout` seconds after the start, then kills the process group this object created.
    func wait(timeout: Double, survivorsAllowed: Bool = false) throws -> ProcessResult {
        if let result { return result }
        let outPath = outDir + "/stdout", errPath = outDir + "/stderr"
        var status: Int32 = 0
        var timedOut = false
        let deadline = start.addingTimeInterval(timeout)
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { throw E2EError("waitpid(\(pid)) failed: \(String(cString: strerror(errno)))") }
            if Date() >= deadline {
                timedOut = true
                kill(-pid, SIGKILL)  // the process group created above for this child
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                break
            }
            usleep(5_000)
        }
        if let ledger {
            // The command is gone: what it left behind is a leak (unless it timed out: then the
            // timeout is the failure), and is killed by pid.
            ledger.collect(after: pid, allowed: timedOut || survivorsAllowed)
        } else if !timedOut {
            // The command is gone; anything it left behind in its own group goes too.
            kill(-pid, SIGKILL)
        }
        let seconds = Date().timeIntervalSince(start)
        let termSig = status & 0x7f
        let read = { (p: String) in (try? String(contentsOfFile: p, encoding: .utf8)) ?? "" }
        let r = ProcessResult(
            command: command, pid: pid,
            exitCode: termSig == 0 ? (status >> 8) & 0xff : nil,
            signal: termSig == 0 ? nil : termSig,
            stdout: read(outPath), stderr: read(errPath), timedOut: timedOut, seconds: seconds)
        result = r
        return r
    }
}

func makeTempDirectory(prefix: String) throws -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    guard let p = mkdtemp(&template) else {
        throw E2EError("mkdtemp failed: \(String(cString: strerror(errno)))")
    }
    return String(cString: p)
}

// MARK: - Locations

enum Locations {
    /// The package root (this file is Tests/VPlayEndToEndTests/Support.swift).
    static let packageRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let examples: String = packageRoot + "/examples"

    /// The directory holding the test bundle (the SwiftPM products dir, e.g. .build/debug/).
    static let productsDirectory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }()

    /// `vplay-bundle` next to the test bundle, or $VPLAY_BUNDLE if set.
    static func vplayBundle() throws -> String {
        if let override = ProcessInfo.processInfo.environment["VPLAY_BUNDLE"], !override.isEmpty {
            guard access(override, X_OK) == 0 else {
                throw E2EError("VPLAY_BUNDLE=\(override) is not an executable file")
            }
            return override
        }
        let path = productsDirectory + "/vplay-bundle"
        guard access(path, X_OK) == 0 else {
            throw E2EError("""
                the vplay-bundle executable is missing: expected \(path) (next to the test bundle). \
                Build it first with `swift build` (same configuration as the tests), or set VPLAY_BUNDLE.
                """)
        }
        return path
    }
}

// MARK: - Prerequisites

enum Prerequisites {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Problems found once per test run; empty when everything is in place.
    static let problems: [String] = {
        var problems: [String] = []
        guard let gcc = try? runProcess("gcc", ["--version"], timeout: 30), gcc.exitCode == 0 else {
            return ["gcc is not installed or does not run (apt-get install -y gcc libc6-dev)"]
        }
        do {
            let dir = try makeTempDirectory(prefix: "vplay-e2e-probe")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try ptraceProbe.write(toFile: dir + "/probe.c", atomically: true, encoding: .utf8)
            let cc = try runProcess("gcc", ["-O1", "-o", dir + "/probe", dir + "/probe.c"], timeout: 60)
            if cc.exitCode != 0 {
                problems.append("gcc cannot build a C program (is libc6-dev installed?):\n\(cc)")
            } else {
                let probe = try runProcess(dir + "/probe", [], timeout: 30)
                if probe.exitCode != 0 {
                    problems.append("ptrace is not permitted here (PTRACE_SEIZE of a child failed): \(probe.stderr)")
                }
                let st = try runProcess("gcc", ["-static", "-o", dir + "/probe-static", dir + "/probe.c"], timeout: 60)
                if st.exitCode != 0 {
                    problems.append("gcc -static fails (libc6-dev provides libc.a):\n\(st.stderr)")
                }
            }
        } catch {
            problems.append("cannot probe prerequisites: \(error)")
        }
        return problems
    }()

    /// Throws (the test fails, loudly) when a prerequisite is missing. Never skips.
    static func require() throws {
        var all = problems
        do { _ = try Locations.vplayBundle() } catch { all.append("\(error)") }
        if !all.isEmpty {
            throw E2EError("end-to-end prerequisites missing\(isCI ? " (CI=true)" : ""):\n- "
                + all.joined(separator: "\n- "))
        }
    }

    private static let ptraceProbe = """
        #include <signal.h>
        #include <stdio.h>
        #include <sys/ptrace.h>
        #include <sys/wait.h>
        #include <unistd.h>
        int main(void) {
            pid_t c = fork();
            if (c == 0) { for (;;) pause(); }
            if (ptrace(PTRACE_SEIZE, c, 0, (void *)PTRACE_O_TRACESYSGOOD) != 0) {
                perror("PTRACE_SEIZE");
                kill(c, SIGKILL);
                waitpid(c, 0, 0);
                return 1;
            }
            kill(c, SIGKILL);
            waitpid(c, 0, __WALL);
            return 0;
        }
        """
}

// MARK: - Workspace

/// A temp directory for one test: compiled programs, inputs, bundles. Remove it with `defer`.
struct Workspace {
    let root: String
    var bundleDirectory: String { root + "/bundles" }
    /// An empty directory to run replays in (nothing of the recording is reachable from it).
    var replayDirectory: String { root + "/replay-cwd" }

    init(_ name: String) throws {
        root = try makeTempDirectory(prefix: "vplay-e2e-\(name)")
        for dir in [bundleDirectory, replayDirectory, root + "/bin"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    func path(_ name: String) -> String { root + "/" + name }

    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        let p = path(name)
        try contents.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// Compiles examples/NAME.c with `gcc -O1 -g` (dynamic), or `-static`, into bin/ or
    /// bin-static/ (the executable keeps the name NAME, which is what bundle names use).
    func compile(_ example: String, staticBuild: Bool = false, extraFlags: [String] = []) throws -> String {
        let dir = root + (staticBuild ? "/bin-static" : "/bin")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let out = dir + "/" + example
        var args = ["-O1", "-g", "-Wall", "-o", out, Locations.examples + "/\(example).c", "-pthread"]
        if staticBuild { args.insert("-static", at: 0) }
        args += extraFlags
        let cc = try runProcess("gcc", args, timeout: 120)
        guard cc.exitCode == 0 else { throw E2EError("compiling \(example).c failed:\n\(cc)") }
        return out
    }

    /// Builds examples/NAME/main.go with Debian's Go (golang-go), its build cache in the workspace.
    func buildGo(_ example: String) throws -> String {
        let version = try? runProcess("go", ["version"], timeout: 30)
        guard version?.exitCode == 0 else { throw E2EError("go is not installed (apt-get install -y golang-go)") }
        let dir = root + "/bin"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let out = dir + "/" + example
        let go = try runProcess("go", ["build", "-o", out, Locations.examples + "/\(example)/main.go"], cwd: root,
                                environment: ["GOCACHE": root + "/go-cache", "GOPATH": root + "/go", "GOFLAGS": "-modcacherw"],
                                timeout: 300)
        guard go.exitCode == 0 else { throw E2EError("go build of \(example) failed:\n\(go)") }
        return out
    }

    /// The `*.vplay` files in the bundle directory, sorted.
    func bundles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: bundleDirectory)
            .filter { $0.hasSuffix(".vplay") }
            .sorted()
            .map { bundleDirectory + "/" + $0 }
    }

    /// Deletes files (programs, inputs) so that replay can only use the bundle.
    func delete(_ paths: [String]) throws {
        for p in paths where FileManager.default.fileExists(atPath: p) {
            try FileManager.default.removeItem(atPath: p)
        }
    }
}

// MARK: - JSON

/// Minimal JSON value for reading vplay-bundle's output.
enum JSON: Decodable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int64.self) { self = .int(v) }
        else if let v = try? c.decode(UInt64.self) { self = .uint(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([JSON].self) { self = .array(v) }
        else if let v = try? c.decode([String: JSON].self) { self = .object(v) }
        else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "not JSON") }
    }

    static func parse(_ text: String) throws -> JSON {
        do {
            return try JSONDecoder().decode(JSON.self, from: Data(text.utf8))
        } catch {
            throw E2EError("output is not valid JSON (\(error)):\n\(text.prefix(2000))")
        }
    }

    /// Looks up a dotted path such as "crash.signal". nil when a key is absent.
    subscript(_ path: String) -> JSON? {
        var cur: JSON? = self
        for key in path.split(separator: ".") {
            guard case .object(let o)? = cur else { return nil }
            cur = o[String(key)]
        }
        return cur
    }

    var isNull: Bool { if case .null = self { return true } else { return false } }

    var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }

    var string: String? { if case .string(let s) = self { return s } else { return nil } }

    var array: [JSON]? { if case .array(let a) = self { return a } else { return nil } }

    /// A key of an object (not a dotted path).
    subscript(key key: String) -> JSON? { if case .object(let o) = self { return o[key] } else { return nil } }

    /// Integers, integral doubles, and "0x…"/decimal strings (addresses may be printed as hex).
    var uint64: UInt64? {
        switch self {
        case .int(let i): return i >= 0 ? UInt64(i) : nil
        case .uint(let u): return u
        case .double(let d): return d >= 0 && d == d.rounded() && d < 1.8e19 ? UInt64(d) : nil
        case .string(let s):
            if s.hasPrefix("0x") || s.hasPrefix("0X") { return UInt64(s.dropFirst(2), radix: 16) }
            return UInt64(s)
        default: return nil
        }
    }

    var int: Int? {
        switch self {
        case .int(let i): return Int(i)
        case .uint(let u): return u <= UInt64(Int.max) ? Int(u) : nil
        case .double(let d): return d == d.rounded() ? Int(d) : nil
        default: return nil
        }
    }

    var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The fields a failure message needs (a full manifest holds kilobytes of register state).
    var brief: String {
        let keys = ["crash.signal", "crash.exitCode", "crash.pc", "crash.faultAddress", "window.seconds",
                    "window.duration", "log.syscalls", "memory.savedBytes", "memory.residentBytes",
                    "verified", "warnings", "reproduced", "signal", "exitCode", "pc", "syscalls", "divergence"]
        return "{" + keys.compactMap { k in self[k].map { "\(k): \($0)" } }.joined(separator: ", ") + "}"
    }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "\(b)"
        case .int(let i): return "\(i)"
        case .uint(let u): return "\(u)"
        case .double(let d): return "\(d)"
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .object(let o):
            return "{" + o.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        }
    }
}

// MARK: - Driving vplay-bundle

enum VPlay {
    /// Runs `vplay-bundle ARGS`.
    static func run(_ arguments: [String], cwd: String? = nil, timeout: Double = 60) throws -> ProcessResult {
        try runProcess(try Locations.vplayBundle(), arguments, cwd: cwd, timeout: timeout)
    }

    /// `vplay-bundle record --output DIR [OPTIONS] -- COMMAND...` in the workspace.
    static func record(
        _ command: [String], in ws: Workspace, options: [String] = [], timeout: Double = 60
    ) throws -> ProcessResult {
        let r = try run(["record", "--output", ws.bundleDirectory] + options + ["--"] + command,
                        cwd: ws.root, timeout: timeout)
        #expect(!r.timedOut, "record timed out after \(timeout) s:\n\(r)")
        #expect(r.signal == nil, "vplay-bundle record itself was killed by a signal:\n\(r)")
        return r
    }

    /// `inspect BUNDLE --json`, which must succeed.
    static func inspect(_ bundle: String) throws -> JSON {
        let r = try run(["inspect", bundle, "--json"], timeout: 60)
        guard r.exitCode == 0 else { throw E2EError("inspect failed:\n\(r)") }
        return try JSON.parse(r.stdout)
    }

    /// `replay BUNDLE --json` from an empty directory; returns the process result and the JSON.
    static func replay(_ bundle: String, in ws: Workspace, timeout: Double = 60) throws -> (ProcessResult, JSON) {
        let r = try run(["replay", bundle, "--json"], cwd: ws.replayDirectory, timeout: timeout)
        guard !r.timedOut else { throw E2EError("replay timed out after \(timeout) s (killed):\n\(r)") }
        guard r.signal == nil else { throw E2EError("vplay-bundle replay crashed:\n\(r)") }
        return (r, try JSON.parse(r.stdout))
    }
}

// MARK: - The shared crash scenario

/// How the recorded process is expected to end.
enum Ending: CustomStringConvertible {
    case signal(Int32)
    case exitCode(Int32)

    var description: String {
        switch self {
        case .signal(let s): return "signal \(s)"
        case .exitCode(let c): return "exit code \(c)"
        }
    }
}

struct ScenarioOutcome {
    var native: ProcessResult?
    var record: ProcessResult
    var bundles: [String]
    var manifests: [JSON]
    var replays: [JSON]
}

/// Finds the `0x…` address an example printed in "writing to 0x…" (the intended fault address).
func announcedFaultAddress(in output: String) -> UInt64? {
    guard let r = output.range(of: #"writing to 0x[0-9a-fA-F]+"#, options: .regularExpression) else { return nil }
    return UInt64(output[r].dropFirst("writing to 0x".count), radix: 16)
}

/// The whole record → inspect → delete inputs → replay cycle for one example program.
///
/// - `arguments`: the program's arguments; `inputs`: files deleted before replay (the program
///   binary is always deleted).
/// - `status`: the exit status expected from the native run and from `record` (the command's
///   status: 128+N for a crash, 0 for a parent whose child crashed).
/// - `ending`: how the process that gets the bundle ends.
/// - `nativeRun`: run the program natively first to check `status` (off for long runs).
/// - `bundleOwnerPID`: when known, the pid that must appear in the bundle's name.
/// - `beforeReplay`: extra checks after recording, before the inputs are deleted.
///
/// Timeouts (each process has its own watchdog) are short enough that a hanging engine
/// costs about two minutes per test, not the whole CI budget.
@discardableResult
func runScenario(
    _ example: String, in ws: Workspace, staticBuild: Bool = false,
    arguments: [String] = [], inputs: [String] = [],
    status: Int32, ending: Ending, options: [String] = [], window: Double = 2,
    nativeRun: Bool = true, bundleOwnerPID: ((ProcessResult) -> pid_t?)? = nil,
    beforeReplay: ((ProcessResult, String) throws -> Void)? = nil,
    recordTimeout: Double = 60, replayTimeout: Double = 60,
    build: ((Workspace) throws -> String)? = nil
) throws -> ScenarioOutcome {
    try Prerequisites.require()
    let program = try build?(ws) ?? ws.compile(example, staticBuild: staticBuild)

    // 1. Native run: the example itself behaves as intended.
    var native: ProcessResult?
    if nativeRun {
        let n = try runProcess(program, arguments, cwd: ws.root, timeout: 60)
        #expect(n.status == status, "native run of \(example) ended unexpectedly:\n\(n)")
        native = n
    }

    // 2. Record: same exit status as natively, exactly one bundle, announced on stderr.
    let rec = try VPlay.record([program] + arguments, in: ws, options: options, timeout: recordTimeout)
    #expect(rec.exitCode == status, "record must exit with the command's status \(status):\n\(rec)")
    let bundles = try ws.bundles()
    try #require(bundles.count == 1, "expected exactly one bundle in \(ws.bundleDirectory), found \(bundles):\n\(rec)")
    let bundle = bundles[0]
    let name = URL(fileURLWithPath: bundle).lastPathComponent
    #expect(name.range(of: #"^\#(example)-[0-9]+-.+\.vplay$"#, options: .regularExpression) != nil,
            "bundle name \(name) is not <program>-<pid>-<UTC time>.vplay")
    if let ownerPID = bundleOwnerPID?(rec) {
        #expect(name.hasPrefix("\(example)-\(ownerPID)-"), "bundle \(name) should belong to pid \(ownerPID):\n\(rec)")
    }
    let announced = rec.stderr.split(separator: "\n").filter { $0.hasPrefix("vplay: wrote bundle ") }
    #expect(announced.count == 1 && announced.first?.hasSuffix(name) == true,
            "stderr must say `vplay: wrote bundle PATH` once for \(name):\n\(rec.stderr)")
    var st = stat()
    if stat(bundle, &st) == 0 {
        #expect(st.st_mode & 0o777 == 0o600, "bundle must be created 0600, is \(String(st.st_mode & 0o777, radix: 8))")
    }

    // 3. Inspect.
    let manifest = try VPlay.inspect(bundle)
    switch ending {
    case .signal(let sig):
        #expect(manifest["crash.signal"]?.int == Int(sig), "crash.signal: \(manifest.brief)")
        #expect(manifest["crash.exitCode"]?.isNull == true, "crash.exitCode must be null for a signal: \(manifest.brief)")
    case .exitCode(let code):
        #expect(manifest["crash.signal"]?.isNull == true, "crash.signal must be null for an exit code: \(manifest.brief)")
        #expect(manifest["crash.exitCode"]?.int == Int(code), "crash.exitCode: \(manifest.brief)")
    }
    let pc = manifest["crash.pc"]?.uint64
    #expect(pc != nil && pc != 0, "crash.pc must be a non-zero address: \(manifest.brief)")
    if case .signal(SIGSEGV) = ending, let expected = announcedFaultAddress(in: rec.stdout) {
        #expect(manifest["crash.faultAddress"]?.uint64 == expected,
                "crash.faultAddress must be the address the program wrote to (0x\(String(expected, radix: 16))): \(manifest.brief)")
    }
    #expect(manifest["window.seconds"]?.double == window, "window.seconds: \(manifest.brief)")
    #expect((manifest["log.syscalls"]?.int ?? -1) >= 1, "log.syscalls: \(manifest.brief)")
    // savedBytes may exceed residentBytes (pages first read inside the window are saved but
    // were not resident at its start), so only presence is checked.
    #expect((manifest["memory.savedBytes"]?.uint64 ?? 0) > 0, "memory.savedBytes: \(manifest.brief)")
    #expect(manifest["memory.residentBytes"]?.uint64 != nil, "memory.residentBytes: \(manifest.brief)")
    // Partial checkpoint: a trial replay chose the pages and proved them enough.
    #expect(manifest["verified"]?.bool == true, "the bundle must be verified by its trial replay: \(manifest["trial"].map { "\($0)" } ?? "no trial")")
    #expect((manifest["trial.pagesTouched"]?.int ?? 0) > 0, "trial.pagesTouched: \(manifest.brief)")
    #expect((manifest["memory.captureSeconds"]?.double ?? -1) >= 0, "memory.captureSeconds: \(manifest.brief)")
    if let pc, let code = manifest["mappings"]?.array?.first(where: { m in
        (m[key: "start"]?.uint64 ?? .max) <= pc && pc < (m[key: "end"]?.uint64 ?? 0)
    }) {
        // The code the window executed travels in the bundle: the crashing instruction's page
        // (unless its object was mapped inside the window: then the log holds its contents).
        #expect((code[key: "savedBytes"]?.uint64 ?? 0) > 0, "the page of the crashing pc must be saved: \(code)")
    }

    try beforeReplay?(rec, bundle)

    // 4. Self-contained replay: no program, no inputs, run from an empty directory.
    try ws.delete([program] + inputs)
    let (rep, result) = try VPlay.replay(bundle, in: ws, timeout: replayTimeout)
    #expect(rep.exitCode == 0, "replay must exit 0 when it reproduces the crash:\n\(rep)")
    #expect(result["reproduced"]?.bool == true, "replay did not reproduce: \(result)\n\(rep.stderr)")
    #expect(result["divergence"]?.isNull == true, "divergence must be null: \(result)")
    switch ending {
    case .signal(let sig): #expect(result["signal"]?.int == Int(sig), "replay signal: \(result)")
    case .exitCode(let code): #expect(result["exitCode"]?.int == Int(code), "replay exitCode: \(result)")
    }
    #expect(result["pc"]?.uint64 == pc, "replay pc must equal the recorded pc: \(result)")
    #expect(result["syscalls"]?.int != nil, "replay must report how many syscalls it replayed: \(result)")

    return ScenarioOutcome(native: native, record: rec, bundles: bundles, manifests: [manifest], replays: [result])
}

/// Runs a scenario `runs` times, each in a fresh workspace (a lucky interleaving is not a
/// pass), and returns the fault addresses the recorded crashes had.
func faultAddressesOfRuns(_ name: String, runs: Int = 3,
                          _ scenario: (Workspace, Int) throws -> ScenarioOutcome) throws -> Set<UInt64> {
    var addresses: Set<UInt64> = []
    for run in 1...runs {
        let ws = try Workspace("\(name)_\(run)")
        defer { ws.remove() }
        if let address = try scenario(ws, run).manifests.first?["crash.faultAddress"]?.uint64 { addresses.insert(address) }
    }
    return addresses
}

/// Parses "NAME: child PID killed by signal N" printed by the fork_pipe / tcp_loopback parents.
func childPID(in output: String) -> pid_t? {
    guard let r = output.range(of: #"child [0-9]+ killed"#, options: .regularExpression) else { return nil }
    return pid_t(output[r].split(separator: " ")[1])
}

/// An error exit of vplay-bundle: status 2, a message on stderr, and no crash of the tool itself.
func expectCleanError(_ r: ProcessResult, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!r.timedOut, "\(what): timed out:\n\(r)", sourceLocation: sourceLocation)
    #expect(r.signal == nil, "\(what): vplay-bundle crashed:\n\(r)", sourceLocation: sourceLocation)
    #expect(r.exitCode == 2, "\(what): must exit 2:\n\(r)", sourceLocation: sourceLocation)
    #expect(!r.stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
            "\(what): must print a message on stderr:\n\(r)", sourceLocation: sourceLocation)
    for marker in ["Fatal error", "Stack dump", "Current stack trace", "Segmentation fault"] {
        #expect(!r.stderr.contains(marker), "\(what): looks like a crash (\(marker)):\n\(r)",
                sourceLocation: sourceLocation)
    }
}
