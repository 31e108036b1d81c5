// The parts of an OCI bundle's config.json that vplay needs: annotations, the root filesystem
// and the process arguments. Parsed leniently (unknown fields are ignored; they are preserved
// by HookInstaller, which edits the file as a dictionary).

import Foundation

public struct OCIConfig: Equatable, Sendable {
    /// The bundle directory, absolute and normalised.
    public var bundle: String
    /// `<bundle>/config.json`.
    public var path: String
    public var annotations: [String: String]
    /// `root.path` resolved against the bundle directory (nil when the config has no root).
    public var rootPath: String?
    public var rootReadonly: Bool
    /// `process.args` (empty when the config has no process).
    public var processArgs: [String]

    public init(bundle: String, path: String? = nil, annotations: [String: String] = [:], rootPath: String? = nil,
                rootReadonly: Bool = false, processArgs: [String] = []) {
        self.bundle = bundle
        self.path = path ?? bundle + "/config.json"
        self.annotations = annotations
        self.rootPath = rootPath
        self.rootReadonly = rootReadonly
        self.processArgs = processArgs
    }

    /// The program's base name (from `process.args[0]`), e.g. "crasher" for "/bin/crasher".
    public var program: String? {
        guard let first = processArgs.first, !first.isEmpty else { return nil }
        return URL(fileURLWithPath: first).lastPathComponent
    }

    /// Reads `<bundle>/config.json`. A relative `bundle` is taken relative to the current directory.
    public static func load(bundle: String) throws -> OCIConfig {
        let dir = Paths.absolute(bundle, relativeTo: FileManager.default.currentDirectoryPath)
        let path = dir + "/config.json"
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw OCIError.missingConfig(path)
        }
        if isDir.boolValue { throw OCIError.unreadableConfig(path, "it is a directory") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw OCIError.unreadableConfig(path, error.localizedDescription)
        }
        return try parse(data, bundle: dir, path: path)
    }

    /// Parses config.json contents; `bundle` must be absolute.
    public static func parse(_ data: Data, bundle: String, path: String? = nil) throws -> OCIConfig {
        let path = path ?? bundle + "/config.json"
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw OCIError.malformedConfig(path, "not valid JSON")
        }
        guard let dict = object as? [String: Any] else {
            throw OCIError.malformedConfig(path, "expected a JSON object at the top level")
        }
        var config = OCIConfig(bundle: Paths.normalize(bundle), path: path)

        if let raw = dict["annotations"], !(raw is NSNull) {
            guard let annotations = raw as? [String: Any] else {
                throw OCIError.malformedConfig(path, "\"annotations\" must be an object of strings")
            }
            for (key, value) in annotations {
                guard let s = value as? String else {
                    throw OCIError.malformedConfig(path, "annotation \"\(key)\" must be a string")
                }
                config.annotations[key] = s
            }
        }
        if let raw = dict["root"], !(raw is NSNull) {
            guard let root = raw as? [String: Any] else {
                throw OCIError.malformedConfig(path, "\"root\" must be an object")
            }
            guard let rootPath = root["path"] as? String, !rootPath.isEmpty else {
                throw OCIError.malformedConfig(path, "\"root.path\" must be a non-empty string")
            }
            config.rootPath = Paths.absolute(rootPath, relativeTo: config.bundle)
            if let ro = root["readonly"] {
                guard let b = ro as? Bool else { throw OCIError.malformedConfig(path, "\"root.readonly\" must be a boolean") }
                config.rootReadonly = b
            }
        }
        if let raw = dict["process"], !(raw is NSNull) {
            guard let process = raw as? [String: Any] else {
                throw OCIError.malformedConfig(path, "\"process\" must be an object")
            }
            if let rawArgs = process["args"], !(rawArgs is NSNull) {
                guard let args = rawArgs as? [Any], let strings = args as? [String] else {
                    throw OCIError.malformedConfig(path, "\"process.args\" must be an array of strings")
                }
                config.processArgs = strings
            }
        }
        return config
    }
}
