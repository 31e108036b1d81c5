// Shared helpers for the container tests: running processes with hard timeouts (in the
// foreground or in the background), locating the built executables, parsing JSON, and the
// prerequisite check (runtimes, busybox-static, gcc -static, the built vplay-hook and
// vplay-bundle). Nothing here skips silently: a missing prerequisite throws with a message
// that says what is missing and how to install it.

import Foundation
import VPlayTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Errors

struct ContainerTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Processes

struct ProcessResult: CustomStringConvertible {
    var command: [String]
    var pid: pid_t
    var exitCode: Int32?
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

/// A process started in its own process group, with stdin from a file (or /dev/null) and
/// stdout/stderr captured in temp files. `wait(timeout:)` kills the group (only what this
/// object started) when the timeout expires.
final class BackgroundProcess {
    let command: [String]
    let pid: pid_t
    private let outDir: String
    private let start = Date()
    private var finished: ProcessResult?
    /// The leak check of the test that started this process (see LeakLedger).
    private let ledger = LeakLedger.current

    init(_ executable: String, _ arguments: [String], cwd: String? = nil, stdin: Data? = nil,
         environment: [String: String] = [:]) throws {
        command = [executable] + arguments
        outDir = try makeTempDirectory(prefix: "vplay-ct-proc")
        let outPath = outDir + "/stdout", errPath = outDir + "/stderr", inPath = outDir + "/stdin"
        if let stdin { try stdin.write(to: URL(fileURLWithPath: inPath)) }

        switch spawnInOwnSession(command, stdin: stdin == nil ? "/dev/null" : inPath, stdout: outPath, stderr: errPath,
                                 cwd: cwd, environment: environment, ledger: ledger) {
        case .success(let child): pid = child
        case .failure(let failure):
            try? FileManager.default.removeItem(atPath: outDir)
            throw ContainerTestError(failure.description)
        }
    }

    deinit {
        if finished == nil {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            ledger?.collect(after: pid, allowed: true)  // abandoned: killed, not a leak of its own
        }
        try? FileManager.default.removeItem(atPath: outDir)
    }

    /// What the process printed so far.
    var stdoutSoFar: String { (try? String(contentsOfFile: outDir + "/stdout", encoding: .utf8)) ?? "" }

    /// Non-blocking: the result if the process has ended.
    func poll() -> ProcessResult? {
        if let finished { return finished }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return nil }
        return finish(status: status, timedOut: false)
    }

    /// Waits for the end; kills the process group when `timeout` expires.
    func wait(timeout: Double) throws -> ProcessResult {
        if let finished { return finished }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return finish(status: status, timedOut: false) }
            if r < 0 && errno != EINTR {
                throw ContainerTestError("waitpid(\(pid)) failed: \(String(cString: strerror(errno)))")
            }
            if Date() >= deadline {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return finish(status: status, timedOut: true)
            }
            usleep(5_000)
        }
    }

    private func finish(status: Int32, timedOut: Bool) -> ProcessResult {
        let termSig = status & 0x7f
        let read = { (p: String) in (try? String(contentsOfFile: p, encoding: .utf8)) ?? "" }
        let result = ProcessResult(
            command: command, pid: pid,
            exitCode: termSig == 0 ? (status >> 8) & 0xff : nil,
            signal: termSig == 0 ? nil : termSig,
            stdout: read(outDir + "/stdout"), stderr: read(outDir + "/stderr"),
            timedOut: timedOut, seconds: Date().timeIntervalSince(start))
        finished = result
        // What the process left behind is a leak (unless it timed out), killed by pid.
        ledger?.collect(after: pid, allowed: timedOut)
        return result
    }
}

/// Runs a command to its end with a hard timeout (see BackgroundProcess).
func runProcess(_ executable: String, _ arguments: [String], cwd: String? = nil, stdin: Data? = nil,
                environment: [String: String] = [:], timeout: Double) throws -> ProcessResult {
    try BackgroundProcess(executable, arguments, cwd: cwd, stdin: stdin, environment: environment)
        .wait(timeout: timeout)
}

func makeTempDirectory(prefix: String) throws -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    guard let p = mkdtemp(&template) else {
        throw ContainerTestError("mkdtemp failed: \(String(cString: strerror(errno)))")
    }
    return String(cString: p)
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
@discardableResult
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

// MARK: - Locations

enum Locations {
    /// The package root (this file is Tests/VPlayContainerTests/ContainerSupport.swift).
    static let packageRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let examples = packageRoot + "/examples"
    static let ociHooks = packageRoot + "/oci-hooks"

    /// The directory holding the test bundle (the SwiftPM products dir, e.g. .build/debug/).
    static let productsDirectory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }()

    static func executable(_ name: String, override variable: String) throws -> String {
        if let override = ProcessInfo.processInfo.environment[variable], !override.isEmpty {
            guard access(override, X_OK) == 0 else {
                throw ContainerTestError("\(variable)=\(override) is not an executable file")
            }
            return override
        }
        let path = productsDirectory + "/" + name
        guard access(path, X_OK) == 0 else {
            throw ContainerTestError("""
                the \(name) executable is missing: expected \(path) (next to the test bundle). \
                Build it first with `swift build` (same configuration as the tests), or set \(variable).
                """)
        }
        return path
    }

    /// `vplay-hook` next to the test bundle, or $VPLAY_HOOK.
    static func vplayHook() throws -> String { try executable("vplay-hook", override: "VPLAY_HOOK") }
    /// `vplay-bundle` next to the test bundle, or $VPLAY_BUNDLE.
    static func vplayBundle() throws -> String { try executable("vplay-bundle", override: "VPLAY_BUNDLE") }
    static func vplayRuntime() throws -> String { try executable("vplay-runtime", override: "VPLAY_RUNTIME_SHIM") }

    /// Where the hook and the monitors log and keep their pid files.
    static let runDirectory = "/run/vplay"
    static let hookLog = runDirectory + "/vplay-hook.log"
    static func monitorPIDFile(_ id: String) -> String { runDirectory + "/\(id).pid" }
    static func containerLog(_ id: String) -> String { runDirectory + "/\(id).log" }
}

/// The path of an executable in PATH, or nil.
func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if access(p, X_OK) == 0 { return p }
    }
    for dir in ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
        let p = "\(dir)/\(name)"
        if access(p, X_OK) == 0 { return p }
    }
    return nil
}

// MARK: - Prerequisites

enum Prerequisites {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Problems found once per run (tools and permissions); empty when everything is in place.
    static let problems: [String] = {
        var problems: [String] = []
        if geteuid() != 0 { problems.append("the container tests must run as root (euid is \(geteuid()))") }
        for (tool, package) in [("runc", "runc"), ("crun", "crun"), ("podman", "podman"), ("gcc", "gcc libc6-dev"),
                                ("unshare", "util-linux"), ("mount", "mount")] where which(tool) == nil {
            problems.append("\(tool) is not installed (apt-get install -y \(package))")
        }
        if !isStaticBusybox("/bin/busybox") {
            problems.append("/bin/busybox is missing or not statically linked (apt-get install -y busybox-static)")
        }
        if which("gcc") != nil {
            do {
                let dir = try makeTempDirectory(prefix: "vplay-ct-probe")
                defer { try? FileManager.default.removeItem(atPath: dir) }
                try "int main(void) { return 0; }\n".write(toFile: dir + "/p.c", atomically: true, encoding: .utf8)
                let cc = try runProcess("gcc", ["-static", "-o", dir + "/p", dir + "/p.c"], timeout: 60)
                if cc.exitCode != 0 { problems.append("gcc -static fails (libc6-dev provides libc.a):\n\(cc.stderr)") }
            } catch {
                problems.append("cannot probe gcc: \(error)")
            }
        }
        return problems
    }()

    static func isStaticBusybox(_ path: String) -> Bool {
        guard access(path, X_OK) == 0, let r = try? runProcess("file", ["-L", path], timeout: 10), r.exitCode == 0 else {
            // `file` may be missing: accept an executable busybox that runs without a dynamic loader check.
            return access(path, X_OK) == 0
        }
        return r.stdout.contains("statically linked") || r.stdout.contains("static-pie")
    }

    /// Throws (the test fails, loudly) when a prerequisite is missing. Never skips.
    static func require() throws {
        var all = problems
        do { _ = try Locations.vplayHook() } catch { all.append("\(error)") }
        do { _ = try Locations.vplayBundle() } catch { all.append("\(error)") }
        if !all.isEmpty {
            throw ContainerTestError("container test prerequisites missing\(isCI ? " (CI=true)" : ""):\n- "
                + all.joined(separator: "\n- "))
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
            throw ContainerTestError("output is not valid JSON (\(error)):\n\(text.prefix(2000))")
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
    var object: [String: JSON]? { if case .object(let o) = self { return o } else { return nil } }

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

    /// The fields a failure message needs.
    var brief: String {
        let keys = ["container", "crash.signal", "crash.exitCode", "crash.pc", "crash.faultAddress", "window.seconds",
                    "log.syscalls", "verified", "reproduced", "signal", "exitCode", "pc", "syscalls", "divergence"]
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

/// Reads a JSON object file into a mutable dictionary (to edit config.json).
func readJSONObject(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard let dict = try JSONSerialization.jsonObject(with: data, options: [.mutableContainers]) as? [String: Any] else {
        throw ContainerTestError("\(path) is not a JSON object")
    }
    return dict
}

func writeJSONObject(_ dict: [String: Any], to path: String) throws {
    let data = try JSONSerialization.data(withJSONObject: dict, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    try data.write(to: URL(fileURLWithPath: path))
}
