// Adds vplay's hooks to a plain runc/crun bundle's config.json (what podman and CRI-O do from
// hooks.d), and removes them again.
//
// The file is edited as a JSON dictionary so that every field vplay does not know survives,
// and replaced atomically (temporary file in the same directory, fsync, rename) with the
// original file's permissions.

import Foundation

#if canImport(Glibc)
import Glibc
#endif

public enum HookInstaller {
    /// The stages the monitor can be started from.
    public static let startStages = ["createRuntime", "prestart"]
    /// argv[0] of every hook entry vplay writes; also how its entries are recognised.
    public static let hookName = "vplay-hook"

    /// Adds `hooks.<stage>` and `hooks.poststop` entries
    /// `{"path": hookPath, "args": ["vplay-hook", "<stage>"]}` / `[…, "poststop"]` and the
    /// annotation `io.vplay.record: "1"` (kept as it is when already present).
    ///
    /// Idempotent: vplay entries already present (recognised by `args[0] == "vplay-hook"` or a
    /// path ending in `/vplay-hook`) are replaced in place, and vplay entries in the other start
    /// stage are removed, so there is always exactly one start entry and one poststop entry.
    /// Returns whether the file changed.
    @discardableResult
    /// `environment` ("KEY=value") goes into each entry's `env` (runtimes run hooks with that
    /// environment only): the shim passes its node config's path this way.
    public static func install(bundle: String, hookPath: String, stage: String = "createRuntime",
                               environment: [String] = []) throws -> Bool {
        guard startStages.contains(stage) else { throw OCIError.invalidStage(stage) }
        guard hookPath.hasPrefix("/") else { throw OCIError.invalidHookPath(hookPath) }
        return try edit(bundle: bundle) { config in
            var hooks = try object(config["hooks"], name: "hooks", in: bundle) ?? [:]
            for other in startStages where other != stage {
                if let list = try array(hooks[other], name: "hooks.\(other)", in: bundle) {
                    let kept = list.filter { !isVPlayEntry($0) }
                    if kept.isEmpty { hooks.removeValue(forKey: other) } else { hooks[other] = kept }
                }
            }
            for (name, arg) in [(stage, stage), ("poststop", "poststop")] {
                var entry: [String: Any] = ["path": hookPath, "args": [hookName, arg]]
                if !environment.isEmpty { entry["env"] = environment }
                var list = try array(hooks[name], name: "hooks.\(name)", in: bundle) ?? []
                if let first = list.firstIndex(where: isVPlayEntry) {
                    list[first] = entry
                    var i = list.count - 1
                    while i > first {
                        if isVPlayEntry(list[i]) { list.remove(at: i) }
                        i -= 1
                    }
                } else {
                    list.append(entry)
                }
                hooks[name] = list
            }
            config["hooks"] = hooks

            var annotations = try object(config["annotations"], name: "annotations", in: bundle) ?? [:]
            if annotations[HookSettings.Key.record] == nil {
                annotations[HookSettings.Key.record] = "1"
            }
            config["annotations"] = annotations
        }
    }

    /// Removes every vplay hook entry (from createRuntime, prestart and poststop) and the
    /// `io.vplay.record` annotation. Hook lists and the `hooks`/`annotations` objects that
    /// become empty are removed. Returns whether the file changed.
    @discardableResult
    public static func uninstall(bundle: String) throws -> Bool {
        try edit(bundle: bundle) { config in
            if var hooks = try object(config["hooks"], name: "hooks", in: bundle) {
                for name in startStages + ["poststop"] {
                    guard let list = try array(hooks[name], name: "hooks.\(name)", in: bundle) else { continue }
                    let kept = list.filter { !isVPlayEntry($0) }
                    if kept.count == list.count { continue }
                    if kept.isEmpty { hooks.removeValue(forKey: name) } else { hooks[name] = kept }
                }
                if hooks.isEmpty { config.removeValue(forKey: "hooks") } else { config["hooks"] = hooks }
            }
            if var annotations = try object(config["annotations"], name: "annotations", in: bundle),
               annotations[HookSettings.Key.record] != nil {
                annotations.removeValue(forKey: HookSettings.Key.record)
                if annotations.isEmpty { config.removeValue(forKey: "annotations") } else { config["annotations"] = annotations }
            }
        }
    }

    /// Whether a hooks entry is one of vplay's.
    static func isVPlayEntry(_ entry: Any) -> Bool {
        guard let dict = entry as? [String: Any] else { return false }
        if let args = dict["args"] as? [Any], let first = args.first as? String, first == hookName { return true }
        if let path = dict["path"] as? String, URL(fileURLWithPath: path).lastPathComponent == hookName { return true }
        return false
    }

    // MARK: - Editing

    private static func edit(bundle: String, _ change: (inout [String: Any]) throws -> Void) throws -> Bool {
        let dir = Paths.absolute(bundle, relativeTo: FileManager.default.currentDirectoryPath)
        let path = dir + "/config.json"
        guard FileManager.default.fileExists(atPath: path) else { throw OCIError.missingConfig(path) }
        let original: Data
        do {
            original = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw OCIError.unreadableConfig(path, error.localizedDescription)
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: original, options: [.mutableContainers])
        } catch {
            throw OCIError.malformedConfig(path, "not valid JSON")
        }
        guard var config = parsed as? [String: Any] else {
            throw OCIError.malformedConfig(path, "expected a JSON object at the top level")
        }
        let before = try canonical(config, path: path)
        try change(&config)
        let after = try canonical(config, path: path)
        if before == after { return false }

        var out: Data
        do {
            out = try JSONSerialization.data(withJSONObject: config,
                                             options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw OCIError.writeFailed(path, "cannot encode JSON: \(error)")
        }
        out.append(0x0a)
        try writeAtomically(out, to: path)
        return true
    }

    private static func canonical(_ config: [String: Any], path: String) throws -> Data {
        do {
            return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        } catch {
            throw OCIError.malformedConfig(path, "cannot be re-encoded: \(error)")
        }
    }

    private static func object(_ value: Any?, name: String, in bundle: String) throws -> [String: Any]? {
        guard let value, !(value is NSNull) else { return nil }
        guard let dict = value as? [String: Any] else {
            throw OCIError.malformedConfig(bundle + "/config.json", "\"\(name)\" must be an object")
        }
        return dict
    }

    private static func array(_ value: Any?, name: String, in bundle: String) throws -> [Any]? {
        guard let value, !(value is NSNull) else { return nil }
        guard let list = value as? [Any] else {
            throw OCIError.malformedConfig(bundle + "/config.json", "\"\(name)\" must be an array")
        }
        return list
    }

    /// Writes `data` to a temporary file next to `path` (same permissions as `path`, 0644 for a
    /// new file), fsyncs it and renames it over `path`.
    static func writeAtomically(_ data: Data, to path: String) throws {
        var st = stat()
        let mode: mode_t = stat(path, &st) == 0 ? st.st_mode & 0o7777 : 0o644
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var template = Array("\(dir)/.config.json.vplay-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw OCIError.writeFailed(path, "cannot create a temporary file in \(dir): \(errnoText())") }
        let tmp = String(decoding: template.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        let written = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        guard written else {
            let msg = errnoText()
            close(fd)
            throw OCIError.writeFailed(path, msg)
        }
        if fchmod(fd, mode) != 0 || fsync(fd) != 0 {
            let msg = errnoText()
            close(fd)
            throw OCIError.writeFailed(path, msg)
        }
        close(fd)
        guard rename(tmp, path) == 0 else { throw OCIError.writeFailed(path, "rename failed: \(errnoText())") }
        ok = true
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
