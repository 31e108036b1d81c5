// The OCI runtime state that a runtime writes to a hook's stdin
// (runtime-spec "state": ociVersion, id, status, pid, bundle, annotations).

import Foundation

public struct OCIState: Codable, Equatable, Sendable {
    public var ociVersion: String
    /// The container id (runc/crun: the id given on the command line; podman: the 64-hex id).
    public var id: String
    /// creating, created, running or stopped.
    public var status: String
    /// The pid of the container's init as seen from the runtime's pid namespace. Absent in
    /// poststop (podman runs poststop after the container is gone).
    public var pid: Int32?
    /// Absolute path of the OCI bundle directory (the one holding config.json).
    public var bundle: String
    public var annotations: [String: String]?

    public init(ociVersion: String = "1.0.2", id: String, status: String = "creating", pid: Int32? = nil,
                bundle: String, annotations: [String: String]? = nil) {
        self.ociVersion = ociVersion
        self.id = id
        self.status = status
        self.pid = pid
        self.bundle = bundle
        self.annotations = annotations
    }

    private enum CodingKeys: String, CodingKey {
        case ociVersion, id, status, pid, bundle, annotations
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ociVersion = try c.decodeIfPresent(String.self, forKey: .ociVersion) ?? ""
        id = try c.decodeIfPresent(String.self, forKey: .id) ?? ""
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? ""
        pid = try c.decodeIfPresent(Int32.self, forKey: .pid)
        bundle = try c.decodeIfPresent(String.self, forKey: .bundle) ?? ""
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ociVersion, forKey: .ociVersion)
        try c.encode(id, forKey: .id)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(pid, forKey: .pid)
        try c.encode(bundle, forKey: .bundle)
        try c.encodeIfPresent(annotations, forKey: .annotations)
    }

    /// Parses the state JSON a runtime passes on stdin.
    ///
    /// Throws `OCIError.emptyState` for empty input, `.malformedState` for anything that is not
    /// a JSON object with the right field types, `.missingStateField("id"/"bundle")` when those
    /// are absent or empty. With `requirePID` (createRuntime, prestart), a missing or zero pid
    /// throws `.missingPID` and a negative one `.invalidPID`. A pid is never required by default:
    /// poststop states may lack it.
    public static func parse(_ data: Data, requirePID: Bool = false) throws -> OCIState {
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            throw OCIError.emptyState
        }
        let state: OCIState
        do {
            state = try JSONDecoder().decode(OCIState.self, from: data)
        } catch let error as DecodingError {
            throw OCIError.malformedState(describe(error, data: data))
        } catch {
            throw OCIError.malformedState("\(error)")
        }
        if state.id.isEmpty { throw OCIError.missingStateField("id") }
        if state.bundle.isEmpty { throw OCIError.missingStateField("bundle") }
        if let pid = state.pid, pid < 0 { throw OCIError.invalidPID(pid) }
        if requirePID { _ = try state.requirePID() }
        return state
    }

    /// The pid of the container's init; throws when the state has none (or 0).
    public func requirePID() throws -> Int32 {
        guard let pid, pid != 0 else { throw OCIError.missingPID }
        guard pid > 0 else { throw OCIError.invalidPID(pid) }
        return pid
    }

    static func describe(_ error: DecodingError, data: Data) -> String {
        func path(_ ctx: DecodingError.Context) -> String {
            let p = ctx.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "the top level" : "\"\(p)\""
        }
        switch error {
        case .dataCorrupted(let ctx):
            if ctx.codingPath.isEmpty {
                let preview = String(decoding: data.prefix(80), as: UTF8.self)
                    .replacingOccurrences(of: "\n", with: "\\n")
                return "not valid JSON (starts with \"\(preview)\"\(data.count > 80 ? "…" : ""))"
            }
            return "\(path(ctx)): \(ctx.debugDescription)"
        case .typeMismatch(let type, let ctx):
            if ctx.codingPath.isEmpty { return "expected a JSON object at the top level" }
            return "\(path(ctx)) has the wrong type (expected \(typeName(type)))"
        case .valueNotFound(let type, let ctx):
            return "\(path(ctx)) is null (expected \(typeName(type)))"
        case .keyNotFound(let key, _):
            return "field \"\(key.stringValue)\" is missing"
        @unknown default:
            return "\(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int32.Type: return "an integer"
        case is [String: String].Type: return "an object of strings"
        default: return "\(type)"
        }
    }
}
