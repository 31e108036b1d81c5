import Foundation
import VPlayJSON

// The JSON shapes of manifest.json and state.json. They mirror the model but store xstate as
// base64 (the model's [UInt8] would become one JSON number per byte) and write absent values
// as explicit nulls so that every documented key path always exists.

/// One row of the manifest's `parts` table.
struct PartInfo: Codable, Equatable {
    var name: String
    /// Bytes after decompression.
    var size: UInt64
    /// Bytes in the archive member.
    var storedSize: UInt64
    /// "zstd" or "none".
    var compression: String
    /// SHA-256 of the stored bytes, lowercase hex: `tar xOf b.vplay NAME | sha256sum` shows it.
    var sha256: String
}

struct ThreadJSON: Codable {
    var tid: Int32
    var registers: Registers
    var xstate: Data
    var signalMask: UInt64
    var altStack: AltStack?
    var clearChildTid: UInt64?

    init(_ t: ThreadSnapshot) {
        (tid, registers, xstate, signalMask, altStack) = (t.tid, t.registers, Data(t.xstate), t.signalMask, t.altStack)
        clearChildTid = t.clearChildTid
    }

    var snapshot: ThreadSnapshot {
        ThreadSnapshot(tid: tid, registers: registers, xstate: [UInt8](xstate), signalMask: signalMask, altStack: altStack,
                       clearChildTid: clearChildTid)
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tid, forKey: .tid)
        try c.encode(registers, forKey: .registers)
        try c.encode(xstate, forKey: .xstate)
        try c.encode(signalMask, forKey: .signalMask)
        try c.encode(altStack, forKey: .altStack)
        try c.encode(clearChildTid, forKey: .clearChildTid)
    }
}

struct StateJSON: Codable {
    var brk: UInt64
    var signalActions: [SignalAction]
    var threads: [ThreadJSON]
    var mappings: [MemoryMapping]
    var crashMappings: [MemoryMapping]?
    /// Base64 in JSON (Data's Codable form), like xstate.
    var auxv: Data?
    var stackLimit: UInt64?

    init(_ s: ProcessState) {
        (brk, signalActions, threads, mappings) = (s.brk, s.signalActions, s.threads.map(ThreadJSON.init), s.mappings)
        (crashMappings, auxv, stackLimit) = (s.crashMappings, s.auxv.map { Data($0) }, s.stackLimit)
    }

    var state: ProcessState {
        ProcessState(brk: brk, signalActions: signalActions, threads: threads.map(\.snapshot), mappings: mappings,
                     crashMappings: crashMappings, auxv: auxv.map { [UInt8]($0) }, stackLimit: stackLimit)
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(brk, forKey: .brk)
        try c.encode(signalActions, forKey: .signalActions)
        try c.encode(threads, forKey: .threads)
        try c.encode(mappings, forKey: .mappings)
        try c.encode(crashMappings, forKey: .crashMappings)
        try c.encode(auxv, forKey: .auxv)
        try c.encode(stackLimit, forKey: .stackLimit)
    }
}

struct CrashJSON: Codable {
    var signal: Int32?
    var signalName: String?
    var exitCode: Int32?
    var code: Int32?
    var faultAddress: UInt64?
    var pc: UInt64
    var tid: Int32
    var time: String
    var threads: [ThreadJSON]

    init(_ c: CrashRecord) {
        (signal, signalName, exitCode, code, faultAddress) = (c.signal, c.signalName, c.exitCode, c.code, c.faultAddress)
        (pc, tid, time, threads) = (c.pc, c.tid, c.time, c.threads.map(ThreadJSON.init))
    }

    var record: CrashRecord {
        CrashRecord(signal: signal, signalName: signalName, exitCode: exitCode, code: code, faultAddress: faultAddress,
                    pc: pc, tid: tid, time: time, threads: threads.map(\.snapshot))
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(signal, forKey: .signal)
        try c.encode(signalName, forKey: .signalName)
        try c.encode(exitCode, forKey: .exitCode)
        try c.encode(code, forKey: .code)
        try c.encode(faultAddress, forKey: .faultAddress)
        try c.encode(pc, forKey: .pc)
        try c.encode(tid, forKey: .tid)
        try c.encode(time, forKey: .time)
        try c.encode(threads, forKey: .threads)
    }
}

/// manifest.json: the Manifest's fields at top level plus the `parts` table.
struct ManifestJSON: Codable {
    var formatVersion: Int
    var toolVersion: String
    var createdAt: String
    var process: RecordedProcess
    var crash: CrashJSON
    var window: WindowInfo
    var log: LogSummary
    var memory: MemorySummary
    var verified: Bool
    var warnings: [String]
    var container: [String: String]?
    var trial: TrialReplay?
    var recording: RecordingInfo?
    var parts: [PartInfo]?

    init(_ m: Manifest, parts: [PartInfo]?) {
        (formatVersion, toolVersion, createdAt, process) = (m.formatVersion, m.toolVersion, m.createdAt, m.process)
        (crash, window, log, memory) = (CrashJSON(m.crash), m.window, m.log, m.memory)
        (verified, warnings, container, self.parts) = (m.verified, m.warnings, m.container, parts)
        (trial, recording) = (m.trial, m.recording)
    }

    var manifest: Manifest {
        Manifest(formatVersion: formatVersion, toolVersion: toolVersion, createdAt: createdAt, process: process,
                 crash: crash.record, window: window, log: log, memory: memory, verified: verified,
                 warnings: warnings, container: container, trial: trial, recording: recording)
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(toolVersion, forKey: .toolVersion)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(process, forKey: .process)
        try c.encode(crash, forKey: .crash)
        try c.encode(window, forKey: .window)
        try c.encode(log, forKey: .log)
        try c.encode(memory, forKey: .memory)
        try c.encode(verified, forKey: .verified)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(container, forKey: .container)
        try c.encode(trial, forKey: .trial)
        try c.encode(recording, forKey: .recording)
        try c.encodeIfPresent(parts, forKey: .parts)
    }
}

/// Read first, alone, so that a future format is reported as such rather than as garbage.
struct VersionProbe: Decodable {
    var formatVersion: Int
}

enum BundleJSON {
    /// The Codable shapes above, printed by vplay's one JSON writer (pretty, keys sorted).
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        Array(try JSONValue(encoding: value).printed.utf8)
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    /// A short reason for a DecodingError: what is wrong and at which key path.
    static func explain(_ error: Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        switch e {
        case .keyNotFound(let key, let c):
            return "missing key \(keyPath(c.codingPath + [key]))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            let at = c.codingPath.isEmpty ? "" : " at \(keyPath(c.codingPath))"
            let underlying = (c.underlyingError as NSError?).map { " (\($0.localizedDescription))" } ?? ""
            return c.debugDescription + at + underlying
        @unknown default:
            return "\(e)"
        }
    }

    private static func keyPath(_ keys: [CodingKey]) -> String {
        let joined = keys.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
        return joined.hasPrefix(".") ? String(joined.dropFirst()) : joined
    }
}

extension Manifest {
    /// The manifest as manifest.json stores it, without the parts table: pretty, sorted keys,
    /// absent values as null, xstate as base64. `vplay-bundle inspect --json` prints this.
    public func jsonData() throws -> Data {
        Data(try BundleJSON.encode(ManifestJSON(self, parts: nil)))
    }
}
