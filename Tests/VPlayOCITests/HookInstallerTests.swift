import Foundation
import Testing
import VPlayOCI

#if canImport(Glibc)
import Glibc
#endif

@Suite("vplay-hook install: editing config.json")
struct HookInstallerTests {
    /// A config.json like `runc spec` writes, with an existing hook and fields vplay knows nothing about.
    static let runcLikeConfig = #"""
        {
          "ociVersion": "1.0.2-dev",
          "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["/crasher"], "cwd": "/",
                      "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 18446744073709551615, "soft": 1024}],
                      "noNewPrivileges": true},
          "root": {"path": "rootfs", "readonly": false},
          "hostname": "runc",
          "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
          "hooks": {"prestart": [{"path": "/usr/bin/other-hook", "args": ["other-hook", "x"], "timeout": 5}]},
          "annotations": {"org.example.keep": "yes"},
          "linux": {"resources": {"devices": [{"allow": false, "access": "rwm"}], "memory": {"swappiness": 0.5}},
                    "namespaces": [{"type": "pid"}, {"type": "mount"}], "maskedPaths": ["/proc/kcore"]},
          "x-unknown-extension": {"nested": [1, "two", null, true]}
        }
        """#

    func bundle(_ tmp: TempDir, config: String = runcLikeConfig) throws -> String {
        let dir = try tmp.sub("bundle")
        try tmp.write("bundle/config.json", config)
        return dir
    }

    func hooks(_ config: [String: Any], _ stage: String) -> [[String: Any]] {
        ((config["hooks"] as? [String: Any])?[stage] as? [[String: Any]]) ?? []
    }

    func vplayEntries(_ list: [[String: Any]]) -> [[String: Any]] {
        list.filter { ($0["args"] as? [String])?.first == "vplay-hook" }
    }

    @Test("install adds createRuntime and poststop entries and the io.vplay.record annotation")
    func installAdds() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let dir = try bundle(tmp)
        let changed = try HookInstaller.install(bundle: dir, hookPath: "/usr/local/bin/vplay-hook")
        #expect(changed)
        let config = try jsonObject(atPath: dir + "/config.json")
        let start = vplayEntries(hooks(config, "createRuntime"))
        #expect(start.count == 1)
        #expect(start.first?["path"] as? String == "/usr/local/bin/vplay-hook")
        #expect(start.first?["args"] as? [String] == ["vplay-hook", "createRuntime"])
        let stop = vplayEntries(hooks(config, "poststop"))
        #expect(stop.count == 1)
        #expect(stop.first?["args"] as? [String] == ["vplay-hook", "poststop"])
        #expect((config["annotations"] as? [String: String])?["io.vplay.record"] == "1")
    }

    @Test("install preserves every other field, including the other hooks and large numbers")
    func installPreserves() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let dir = try bundle(tmp)
        let before = try jsonObject(atPath: dir + "/config.json")
        try HookInstaller.install(bundle: dir, hookPath: "/opt/vplay/vplay-hook")
        let after = try jsonObject(atPath: dir + "/config.json")

        // Everything except hooks and annotations is byte-for-byte the same JSON value.
        for key in before.keys where key != "hooks" && key != "annotations" {
            let a = try JSONSerialization.data(withJSONObject: ["v": before[key]!], options: [.sortedKeys])
            let b = try JSONSerialization.data(withJSONObject: ["v": after[key] as Any], options: [.sortedKeys])
            #expect(a == b, "field \(key) changed")
        }
        #expect(Set(after.keys) == Set(before.keys))
        let prestart = hooks(after, "prestart")
        #expect(prestart.count == 1)
        #expect(prestart.first?["path"] as? String == "/usr/bin/other-hook")
        #expect(prestart.first?["timeout"] as? Int == 5)
        #expect((after["annotations"] as? [String: String])?["org.example.keep"] == "yes")
        let text = try String(contentsOfFile: dir + "/config.json", encoding: .utf8)
        #expect(text.contains("18446744073709551615"), "the uint64 rlimit must survive unchanged")
        #expect(text.contains("\"x-unknown-extension\""))
    }

    @Test("installing twice changes nothing the second time (no duplicate entries)")
    func idempotent() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let dir = try bundle(tmp)
        #expect(try HookInstaller.install(bundle: dir, hookPath: "/usr/local/bin/vplay-hook"))
        let first = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        #expect(try HookInstaller.install(bundle: dir, hookPath: "/usr/local/bin/vplay-hook") == false)
        let second = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        #expect(first == second)
        let config = try jsonObject(second)
        #expect(vplayEntries(hooks(config, "createRuntime")).count == 1)
        #expect(vplayEntries(hooks(config, "poststop")).count == 1)
    }

    @Test("reinstalling with another path or stage replaces vplay's entries instead of adding more")
    func reinstallReplaces() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let dir = try bundle(tmp)
        try HookInstaller.install(bundle: dir, hookPath: "/old/vplay-hook")
        try HookInstaller.install(bundle: dir, hookPath: "/new/vplay-hook", stage: "prestart")
        let config = try jsonObject(atPath: dir + "/config.json")
        #expect(hooks(config, "createRuntime").isEmpty, "the old createRuntime entry must go")
        let prestart = hooks(config, "prestart")
        #expect(prestart.count == 2, "the other prestart hook stays, vplay's is added")
        #expect(prestart.first?["path"] as? String == "/usr/bin/other-hook", "existing hooks keep their order")
        #expect(vplayEntries(prestart).first?["path"] as? String == "/new/vplay-hook")
        #expect(vplayEntries(prestart).first?["args"] as? [String] == ["vplay-hook", "prestart"])
        let stop = hooks(config, "poststop")
        #expect(stop.count == 1)
        #expect(stop.first?["path"] as? String == "/new/vplay-hook")
    }

    @Test("an existing io.vplay.record annotation is kept as it is")
    func keepsAnnotation() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let dir = try bundle(tmp, config: #"{"ociVersion":"1.0.2","annotations":{"io.vplay.record":"true","io.vplay.window":"1"}}"#)
        try HookInstaller.install(bundle: dir, hookPath: "/usr/local/bin/vplay-hook")
        let config = try jsonObject(atPath: dir + "/config.json")
        #expect(config["annotations"] as? [String: String] == ["io.vplay.record": "true", "io.vplay.window": "1"])
    }

    @Test("install works on a config without hooks or annotations")
    func minimalConfig() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let dir = try bundle(tmp, config: #"{"ociVersion":"1.0.2","root":{"path":"rootfs"}}"#)
        try HookInstaller.install(bundle: dir, hookPath: "/usr/local/bin/vplay-hook")
        let config = try jsonObject(atPath: dir + "/config.json")
        #expect(hooks(config, "createRuntime").count == 1)
        #expect(hooks(config, "poststop").count == 1)
        #expect((config["root"] as? [String: Any])?["path"] as? String == "rootfs")
        // And the result is what OCIConfig reads.
        let parsed = try OCIConfig.load(bundle: dir)
        #expect(parsed.annotations["io.vplay.record"] == "1")
    }

    @Test("install replaces config.json atomically, keeps its mode and leaves no temp files")
    func atomicWrite() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let dir = try bundle(tmp)
        chmod(dir + "/config.json", 0o640)
        var before = stat()
        stat(dir + "/config.json", &before)
        try HookInstaller.install(bundle: dir, hookPath: "/usr/local/bin/vplay-hook")
        var after = stat()
        stat(dir + "/config.json", &after)
        #expect(after.st_mode & 0o7777 == 0o640)
        #expect(after.st_ino != before.st_ino, "a new file renamed over the old one, not an in-place rewrite")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0 != "config.json" }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("install rejects a relative hook path, an unknown stage and a missing or malformed config")
    func installErrors() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let dir = try bundle(tmp)
        let original = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        #expect(throws: OCIError.invalidHookPath("vplay-hook")) {
            try HookInstaller.install(bundle: dir, hookPath: "vplay-hook")
        }
        #expect(throws: OCIError.invalidStage("poststart")) {
            try HookInstaller.install(bundle: dir, hookPath: "/usr/local/bin/vplay-hook", stage: "poststart")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json")) == original, "a failed install changes nothing")
        let empty = try tmp.sub("empty")
        #expect(throws: OCIError.missingConfig(empty + "/config.json")) {
            try HookInstaller.install(bundle: empty, hookPath: "/usr/local/bin/vplay-hook")
        }
        let bad = try tmp.sub("bad")
        try tmp.write("bad/config.json", "{ not json")
        #expect(throws: OCIError.malformedConfig(bad + "/config.json", "not valid JSON")) {
            try HookInstaller.install(bundle: bad, hookPath: "/usr/local/bin/vplay-hook")
        }
        let badHooks = try tmp.sub("badhooks")
        try tmp.write("badhooks/config.json", #"{"hooks":{"poststop":{"path":"/x"}}}"#)
        #expect(throws: OCIError.self) {
            try HookInstaller.install(bundle: badHooks, hookPath: "/usr/local/bin/vplay-hook")
        }
    }

    @Test("uninstall removes vplay's entries and annotation and keeps everything else")
    func uninstall() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let dir = try bundle(tmp)
        let original = try jsonObject(atPath: dir + "/config.json")
        try HookInstaller.install(bundle: dir, hookPath: "/usr/local/bin/vplay-hook")
        #expect(try HookInstaller.uninstall(bundle: dir))
        let config = try jsonObject(atPath: dir + "/config.json")
        let a = try JSONSerialization.data(withJSONObject: original, options: [.sortedKeys])
        let b = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        #expect(a == b, "install + uninstall must give back the original config")
        #expect(try HookInstaller.uninstall(bundle: dir) == false, "a second uninstall changes nothing")
    }

    @Test("uninstall of a config that only had vplay's hooks removes the emptied objects")
    func uninstallEmpties() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let dir = try bundle(tmp, config: #"{"ociVersion":"1.0.2"}"#)
        try HookInstaller.install(bundle: dir, hookPath: "/usr/local/bin/vplay-hook")
        try HookInstaller.uninstall(bundle: dir)
        let config = try jsonObject(atPath: dir + "/config.json")
        #expect(config.keys.sorted() == ["ociVersion"])
    }
}
