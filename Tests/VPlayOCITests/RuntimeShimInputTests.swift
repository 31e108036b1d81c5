import Foundation
import Testing
import VPlayOCI

@Suite("vplay-runtime's inputs: runc's command line and the node config")
struct RuntimeShimInputTests {
    @Test("the subcommand comes after runc's global options, with or without their values")
    func subcommandAfterGlobals() {
        let podman = RuntimeCommandLine(["--root", "/run/runc", "--log", "/x/log.json", "--log-format=json", "--systemd-cgroup",
                                         "create", "--bundle", "/b/userdata", "--pid-file", "/b/pid", "c1"])
        #expect(podman.subcommand == "create" && podman.createsContainer)
        #expect(podman.bundle(workingDirectory: "/cwd") == "/b/userdata")
        #expect(RuntimeCommandLine(["run", "-b", "/b", "c"]).bundle(workingDirectory: "/cwd") == "/b")
        #expect(RuntimeCommandLine(["run", "--bundle=/b2", "c"]).bundle(workingDirectory: "/cwd") == "/b2")
        #expect(RuntimeCommandLine(["run", "c"]).bundle(workingDirectory: "/cwd") == "/cwd", "runc's default: the working directory")
        for other in [["start", "c1"], ["--root", "/r", "delete", "--force", "c1"], ["state", "c1"], ["--version"], []] {
            #expect(!RuntimeCommandLine(other).createsContainer, "\(other)")
        }
        // A value that looks like a subcommand is still a value.
        #expect(RuntimeCommandLine(["--root", "run", "kill", "c1"]).subcommand == "kill")
    }

    @Test("the node config: defaults without a file; each key typed; unknown keys and relative paths are errors")
    func nodeConfig() throws {
        #expect(try NodeConfig.load(path: "/nonexistent/vplay/config.json") == NodeConfig())
        let full = try NodeConfig.parse(Data(#"{"runtime": "/usr/sbin/runc", "hook": "/opt/vplay-hook", "recordAll": true, "strict": true}"#.utf8), path: "c")
        #expect(full == NodeConfig(runtime: "/usr/sbin/runc", hook: "/opt/vplay-hook", recordAll: true, strict: true))
        let defaults = try NodeConfig.parse(Data(#"{"window": 1.5, "output": "/var/crash", "trialReplay": false, "onBundle": "true"}"#.utf8), path: "c")
        #expect(defaults == NodeConfig(window: 1.5, output: "/var/crash", trialReplay: false, onBundle: "true"))
        let bad: [(String, String)] = [
            (#"{"recordAll": "yes"}"#, "recordAll must be true or false"),
            (#"{"runtime": "runc"}"#, "runtime must be an absolute path"),
            (#"{"windows": 2}"#, "unknown key \"windows\""),
            (#"{"window": 0}"#, "window must be a number of seconds greater than 0"),
            (#"{"onBundle": ["aws"]}"#, "onBundle must be a shell command"),
            (#"["runc"]"#, "not a JSON object"),
            (#"{"strict": tru"#, "not a JSON object"),
        ]
        for (text, message) in bad {
            #expect(throws: OCIError.self, "\(text)") { try NodeConfig.parse(Data(text.utf8), path: "/etc/vplay/config.json") }
            do {
                _ = try NodeConfig.parse(Data(text.utf8), path: "/etc/vplay/config.json")
            } catch {
                #expect(error.description.contains("/etc/vplay/config.json") && error.description.contains(message), "\(error)")
            }
        }
        #expect(NodeConfig.path(environment: ["VPLAY_CONFIG": "/tmp/n.json"]) == "/tmp/n.json")
        #expect(NodeConfig.path(environment: [:]) == NodeConfig.defaultPath)
        #expect(throws: OCIError.self) { try NodeConfig.parse(Data(#"{"recordWhen": {"a": "("}}"#.utf8), path: "c") }
        #expect(throws: OCIError.self) { try NodeConfig.parse(Data(#"{"recordWhen": ["a"]}"#.utf8), path: "c") }
    }

    @Test("which containers a node config records: io.vplay.record first, then recordAll, then any recordWhen pattern matching a whole annotation value")
    func selection() throws {
        let rule = try NodeConfig.parse(Data(#"{"recordWhen": {"io.kubernetes.cri.image-name": "registry.example/shop/.*", "io.kubernetes.cri.container-name": "api"}}"#.utf8), path: "c")
        #expect(rule.records(annotations: ["io.kubernetes.cri.image-name": "registry.example/shop/cart:1"]))
        #expect(rule.records(annotations: ["io.kubernetes.cri.container-name": "api"]))
        #expect(!rule.records(annotations: ["io.kubernetes.cri.container-name": "api-2"]), "the whole value must match")
        #expect(!rule.records(annotations: ["io.kubernetes.cri.image-name": "mirror/registry.example/shop/cart"]))
        #expect(!rule.records(annotations: ["io.kubernetes.cri.container-name": "api", "io.vplay.record": "0"]), "the container's own opt-out wins")
        #expect(NodeConfig().records(annotations: ["io.vplay.record": "1"]) && !NodeConfig().records(annotations: [:]))
        #expect(NodeConfig(recordAll: true).records(annotations: [:]))
    }
}
