// vplay's configuration of one container, from its annotations.
//
//   io.vplay.record      enables recording (present and not "0"/"false"); the hooks.d JSON
//                        triggers on "1", "true" or "yes"
//   io.vplay.window      seconds per window (default 2, > 0)
//   io.vplay.output      directory for bundles (default <bundle>/vplay; relative paths are taken
//                        relative to the bundle directory; never inside the container's rootfs)
//   io.vplay.exit-codes  comma-separated exit codes that count as abnormal ends ("3,42")
//   io.vplay.strict      "1"/"true": fail the container start when recording cannot start
//   io.vplay.trial       "0"/"false": no trial replay at a crash (the bundle keeps every
//                        resident page, unverified); default on
//   io.vplay.trial-time-limit  seconds the trial replay may take (default 30, > 0)
//   io.vplay.path        how syscalls are logged: "bpf" (default) or "ptrace"
//
// Annotations in the state (what the runtime passes on stdin) override those in config.json.

import Foundation

public struct HookSettings: Equatable, Sendable {
    public enum Key {
        public static let record = "io.vplay.record"
        public static let window = "io.vplay.window"
        public static let output = "io.vplay.output"
        public static let exitCodes = "io.vplay.exit-codes"
        public static let strict = "io.vplay.strict"
        public static let trial = "io.vplay.trial"
        public static let trialTimeLimit = "io.vplay.trial-time-limit"
        public static let path = "io.vplay.path"
        public static let all = [record, window, output, exitCodes, strict, trial, trialTimeLimit, path]
    }

    /// The recording paths `io.vplay.path` may name (the recorder's RecordingPath).
    public static let recordingPaths = ["bpf", "ptrace"]

    public static let defaultWindow: Double = 2
    /// Name of the default output directory inside the OCI bundle directory.
    public static let defaultOutputName = "vplay"

    public var enabled: Bool
    public var window: Double
    /// Absolute, normalised.
    public var outputDirectory: String
    public var exitCodes: [Int32]
    public var strict: Bool
    /// Run a trial replay at a crash (the partial checkpoint), for at most this many seconds.
    public var trialReplay = true
    public var trialTimeLimit: Double = 30
    /// `io.vplay.path`; nil: the recorder's default.
    public var recordingPath: String?
    /// The node config's command for each written bundle.
    public var onBundle: String?
    /// Every annotation of the container (config.json's, overridden by the state's).
    public var annotations: [String: String]

    public init(enabled: Bool, window: Double = HookSettings.defaultWindow, outputDirectory: String,
                exitCodes: [Int32] = [], strict: Bool = false, annotations: [String: String] = [:]) {
        self.enabled = enabled
        self.window = window
        self.outputDirectory = outputDirectory
        self.exitCodes = exitCodes
        self.strict = strict
        self.annotations = annotations
    }

    /// The container's annotations: config.json's, overridden by the state's.
    public static func mergedAnnotations(state: OCIState?, config: OCIConfig?) -> [String: String] {
        var merged = config?.annotations ?? [:]
        for (k, v) in state?.annotations ?? [:] { merged[k] = v }
        return merged
    }

    /// Whether strict mode was asked for, without validating anything else. Never throws:
    /// the hook uses it to decide its exit status when other parsing failed. An unrecognised
    /// value counts as strict (the user asked for something; failing loudly is the safe side).
    public static func strictRequested(annotations: [String: String]) -> Bool {
        guard let raw = annotations[Key.strict] else { return false }
        return (try? parseBool(raw, key: Key.strict)) ?? true
    }

    /// Builds and validates the settings. `config` may be nil (no config.json): then only the
    /// state's annotations count and the rootfs check is skipped.
    ///
    /// When recording is not enabled, nothing else is validated and the defaults are returned
    /// (a container that does not ask for vplay must never fail because of vplay annotations).
    /// `node` gives the defaults the annotations override (the node config).
    public static func from(state: OCIState, config: OCIConfig?, node: NodeConfig = NodeConfig()) throws -> HookSettings {
        let annotations = mergedAnnotations(state: state, config: config)
        let bundleDir = Paths.absolute(state.bundle.isEmpty ? (config?.bundle ?? "/") : state.bundle,
                                       relativeTo: FileManager.default.currentDirectoryPath)
        let defaultOutput = node.output ?? bundleDir + "/" + defaultOutputName
        let enabled = node.records(annotations: annotations)
        guard enabled else {
            return HookSettings(enabled: false, outputDirectory: defaultOutput,
                                strict: node.strict || strictRequested(annotations: annotations), annotations: annotations)
        }

        var settings = HookSettings(enabled: true, window: node.window ?? defaultWindow, outputDirectory: defaultOutput,
                                    strict: node.strict, annotations: annotations)
        settings.trialReplay = node.trialReplay ?? true
        settings.onBundle = node.onBundle
        if let raw = annotations[Key.strict] { settings.strict = try parseBool(raw, key: Key.strict) }
        if let raw = annotations[Key.window] { settings.window = try parseWindow(raw) }
        if let raw = annotations[Key.trial] { settings.trialReplay = try parseBool(raw, key: Key.trial) }
        if let raw = annotations[Key.trialTimeLimit] { settings.trialTimeLimit = try parseSeconds(raw, key: Key.trialTimeLimit) }
        if let raw = annotations[Key.exitCodes] { settings.exitCodes = try parseExitCodes(raw) }
        if let raw = annotations[Key.path] { settings.recordingPath = try parseRecordingPath(raw) }
        if let raw = annotations[Key.output] {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else {
                throw OCIError.invalidAnnotation(key: Key.output, value: raw, reason: "must be a directory path")
            }
            settings.outputDirectory = Paths.absolute(trimmed, relativeTo: bundleDir)
        }
        if let rootfs = config?.rootPath {
            try checkOutsideRootfs(output: settings.outputDirectory, rootfs: rootfs)
        }
        return settings
    }

    /// Throws `.outputInsideRootfs` when `output` is the rootfs or below it, comparing both
    /// lexically and after resolving symlinks of their existing prefixes.
    public static func checkOutsideRootfs(output: String, rootfs: String) throws {
        let out = Paths.normalize(output), root = Paths.normalize(rootfs)
        if Paths.isSameOrInside(out, root) || Paths.isSameOrInside(Paths.resolved(out), Paths.resolved(root)) {
            throw OCIError.outputInsideRootfs(output: out, rootfs: root)
        }
    }

    /// `io.vplay.record`: present and not "0"/"false" (also "no"/"off"/empty count as off).
    public static func isEnabled(_ value: String?) -> Bool {
        guard let value else { return false }
        let v = value.trimmingCharacters(in: .whitespaces).lowercased()
        return !["0", "false", "no", "off", ""].contains(v)
    }

    static func parseBool(_ raw: String, key: String) throws -> Bool {
        switch raw.trimmingCharacters(in: .whitespaces).lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off", "": return false
        default:
            throw OCIError.invalidAnnotation(key: key, value: raw, reason: "expected 1/true or 0/false")
        }
    }

    static func parseWindow(_ raw: String) throws -> Double { try parseSeconds(raw, key: Key.window) }

    /// A positive number of seconds.
    static func parseSeconds(_ raw: String, key: String) throws -> Double {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        guard let seconds = Double(trimmed), seconds.isFinite else {
            throw OCIError.invalidAnnotation(key: key, value: raw, reason: "expected a number of seconds, e.g. 2 or 0.5")
        }
        guard seconds > 0 else {
            throw OCIError.invalidAnnotation(key: key, value: raw, reason: "must be greater than 0")
        }
        return seconds
    }

    static func parseRecordingPath(_ raw: String) throws -> String {
        let path = raw.trimmingCharacters(in: .whitespaces).lowercased()
        guard recordingPaths.contains(path) else {
            throw OCIError.invalidAnnotation(key: Key.path, value: raw, reason: "expected \(recordingPaths.joined(separator: " or "))")
        }
        return path
    }

    static func parseExitCodes(_ raw: String) throws -> [Int32] {
        var codes: [Int32] = []
        for part in raw.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces)
            if item.isEmpty {
                if raw.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                throw OCIError.invalidAnnotation(key: Key.exitCodes, value: raw,
                                                 reason: "empty entry (expected comma-separated codes such as \"3,42\")")
            }
            guard let code = Int32(item), (0...255).contains(code) else {
                throw OCIError.invalidAnnotation(key: Key.exitCodes, value: raw,
                                                 reason: "\"\(item)\" is not an exit code between 0 and 255")
            }
            if !codes.contains(code) { codes.append(code) }
        }
        return codes
    }

    /// What a bundle's manifest records about the container: every annotation, plus `id`,
    /// `bundle` and (when known) `rootfs`.
    public static func containerRecord(state: OCIState, config: OCIConfig?) -> [String: String] {
        var record = mergedAnnotations(state: state, config: config)
        record["id"] = state.id
        record["bundle"] = state.bundle
        if let rootfs = config?.rootPath { record["rootfs"] = rootfs }
        return record
    }
}
