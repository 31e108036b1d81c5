// The node-wide configuration of vplay-runtime: one JSON file, by default
// /etc/vplay/config.json (VPLAY_CONFIG names another).
//
//   {
//     "runtime": "/usr/sbin/runc",          the real OCI runtime (default: runc on PATH)
//     "hook": "/usr/local/bin/vplay-hook",  the hook to install (default: next to vplay-runtime)
//     "recordAll": false,                   record every container, not only those annotated
//                                           io.vplay.record=1
//     "recordWhen": {                       or those with an annotation whose whole value
//       "io.kubernetes.cri.image-name": "^registry.example/shop/.*"    matches (any entry)
//     },
//     "strict": false,                      a container whose recording cannot be set up does
//                                           not start (default: it runs unrecorded)
//     "window": 2,                          seconds per window
//     "output": "/var/crash/vplay",         directory for bundles (default <OCI bundle>/vplay)
//     "trialReplay": true,                  the trial replay at a crash (partial checkpoint)
//     "onBundle": "aws s3 cp \"$1\" s3://b/"  run by /bin/sh with each complete bundle's path as
//                                           $1, after the bundle is written, never waited for
//   }
//
// The hook reads the same file (the shim passes its path on in the hook entries' environment);
// a container's io.vplay.* annotations override it.
//
// Unknown keys are errors (a typo must not silently change nothing); a missing file is the
// defaults.

import Foundation
import VPlayJSON

public struct NodeConfig: Equatable, Sendable {
    public static let defaultPath = "/etc/vplay/config.json"
    public static let environmentVariable = "VPLAY_CONFIG"
    static let keys: Set<String> = ["runtime", "hook", "recordAll", "recordWhen", "strict", "window", "output", "trialReplay", "onBundle"]

    public var runtime: String?
    public var hook: String?
    public var recordAll = false
    public var strict = false
    public var window: Double?
    public var output: String?
    public var trialReplay: Bool?
    public var onBundle: String?
    /// Annotation name → pattern its whole value must match; any match selects the container.
    public var recordWhen: [String: String] = [:]

    public init(runtime: String? = nil, hook: String? = nil, recordAll: Bool = false, strict: Bool = false,
                window: Double? = nil, output: String? = nil, trialReplay: Bool? = nil, onBundle: String? = nil) {
        (self.runtime, self.hook, self.recordAll, self.strict) = (runtime, hook, recordAll, strict)
        (self.window, self.output, self.trialReplay, self.onBundle) = (window, output, trialReplay, onBundle)
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
        config.output = try absolutePath(object["output"], "output", path)
        config.trialReplay = try bool(object["trialReplay"], "trialReplay", path)
        if let value = object["window"] {
            let seconds: Double? = switch value {
            case .int(let i): Double(i)
            case .uint(let u): Double(u)
            case .double(let d): d
            default: nil
            }
            guard let seconds, seconds > 0, seconds.isFinite else { throw .malformedConfig(path, "window must be a number of seconds greater than 0") }
            config.window = seconds
        }
        if let value = object["recordWhen"] {
            guard case .object(let rules) = value else { throw .malformedConfig(path, "recordWhen must map annotation names to patterns") }
            for (name, rule) in rules {
                guard case .string(let pattern) = rule, (try? NSRegularExpression(pattern: pattern)) != nil else {
                    throw .malformedConfig(path, "recordWhen.\(name) must be a regular expression as a string")
                }
                config.recordWhen[name] = pattern
            }
        }
        if let value = object["onBundle"] {
            guard case .string(let command) = value, !command.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .malformedConfig(path, "onBundle must be a shell command as a string")
            }
            config.onBundle = command
        }
        return config
    }

    /// Whether a container with these annotations is recorded: its io.vplay.record when it has
    /// one (io.vplay.record=0 opts out of every rule), else recordAll or a recordWhen match.
    public func records(annotations: [String: String]) -> Bool {
        if let own = annotations[HookSettings.Key.record] { return HookSettings.isEnabled(own) }
        return recordAll || recordWhen.contains { name, pattern in
            guard let value = annotations[name], let regex = try? NSRegularExpression(pattern: pattern) else { return false }
            let whole = NSRange(value.startIndex..., in: value)
            return regex.firstMatch(in: value, options: [.anchored], range: whole).map { $0.range == whole } ?? false
        }
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
