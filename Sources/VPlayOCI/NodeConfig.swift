// The node-wide configuration of vplay-runtime: one JSON file, by default
// /etc/vplay/config.json (VPLAY_CONFIG names another).
//
//   {
//     "runtime": "/usr/sbin/runc",          the real OCI runtime (default: runc on PATH)
//     "hook": "/usr/local/bin/vplay-hook",  the hook to install (default: next to vplay-runtime)
//     "recordAll": false,                   record every container, not only those annotated
//                                           io.vplay.record=1
//     "strict": false                       a container whose recording cannot be set up does
//                                           not start (default: it runs unrecorded)
//   }
//
// Unknown keys are errors (a typo must not silently change nothing); a missing file is the
// defaults.

import Foundation
import VPlayJSON

public struct NodeConfig: Equatable, Sendable {
    public static let defaultPath = "/etc/vplay/config.json"
    public static let environmentVariable = "VPLAY_CONFIG"
    static let keys: Set<String> = ["runtime", "hook", "recordAll", "strict"]

    public var runtime: String?
    public var hook: String?
    public var recordAll = false
    public var strict = false

    public init(runtime: String? = nil, hook: String? = nil, recordAll: Bool = false, strict: Bool = false) {
        (self.runtime, self.hook, self.recordAll, self.strict) = (runtime, hook, recordAll, strict)
    }

    /// The file named by VPLAY_CONFIG, else the default path.
    public static func path(environment: [String: String]) -> String {
        environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? defaultPath
    }

    /// The configuration in `path`; the defaults when there is no such file.
    public static func load(path: String) throws(OCIError) -> NodeConfig {
        guard FileManager.default.fileExists(atPath: path) else { return NodeConfig() }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableConfig(path, "\(error.localizedDescription)")
        }
        return try parse(data, path: path)
    }

    public static func parse(_ data: Data, path: String) throws(OCIError) -> NodeConfig {
        guard let parsed = try? JSONValue.parse(data), case .object(let object) = parsed else {
            throw .malformedConfig(path, "not a JSON object")
        }
        if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
            throw .malformedConfig(path, "unknown key \"\(unknown)\" (known: \(keys.sorted().joined(separator: ", ")))")
        }
        var config = NodeConfig()
        config.runtime = try absolutePath(object["runtime"], "runtime", path)
        config.hook = try absolutePath(object["hook"], "hook", path)
        config.recordAll = try bool(object["recordAll"], "recordAll", path) ?? false
        config.strict = try bool(object["strict"], "strict", path) ?? false
        return config
    }

    static func absolutePath(_ value: JSONValue?, _ key: String, _ path: String) throws(OCIError) -> String? {
        guard let value else { return nil }
        guard case .string(let s) = value, s.hasPrefix("/") else {
            throw .malformedConfig(path, "\(key) must be an absolute path as a string")
        }
        return s
    }

    static func bool(_ value: JSONValue?, _ key: String, _ path: String) throws(OCIError) -> Bool? {
        guard let value else { return nil }
        guard case .bool(let b) = value else { throw .malformedConfig(path, "\(key) must be true or false") }
        return b
    }
}
