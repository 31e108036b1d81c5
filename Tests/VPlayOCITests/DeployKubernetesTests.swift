// deploy/kubernetes: what can be checked without a cluster. The YAML parses (python3-yaml), and
// install.sh, run in both modes into a scratch root, writes exactly under the host paths the
// DaemonSet mounts, with the paths the hooks.d files, the containerd runtime and the
// RuntimeClass name.

import Foundation
import Testing
import VPlayOCI

@Suite("deploy/kubernetes: the manifests and the installer agree")
struct DeployKubernetesTests {
    let dir = packageRoot + "/deploy/kubernetes"

    /// Every document of a YAML file, through python3's yaml as JSON.
    func yamlDocuments(_ file: String) throws -> [[String: Any]] {
        let script = "import sys, yaml, json; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))"
        let out = try run("/usr/bin/python3", ["-c", script, file])
        try #require(out.status == 0, "python3 -c 'import yaml' failed (apt-get install -y python3-yaml), or \(file) does not parse:\n\(out.text)")
        return try #require(try JSONSerialization.jsonObject(with: Data(out.text.utf8)) as? [[String: Any]], "\(file): \(out.text)")
    }

    func run(_ exe: String, _ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, text: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Files below `root`, as absolute paths on the node.
    func written(below root: String) -> Set<String> {
        let items = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        return Set(items.filter { !isDirectory(root + "/" + $0) }.map { "/" + $0 })
    }

    func isDirectory(_ path: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &d) && d.boolValue
    }

    @Test("the DaemonSet mounts every host path install.sh writes, in both modes; the hooks.d files name the installed hook; containerd's runtime is the RuntimeClass's handler and runs the installed shim")
    func manifestsMatchTheInstaller() throws {
        let daemonSet = try #require(try yamlDocuments(dir + "/daemonset.yaml").first)
        let runtimeClass = try #require(try yamlDocuments(dir + "/runtimeclass.yaml").first)
        #expect(daemonSet["kind"] as? String == "DaemonSet" && runtimeClass["kind"] as? String == "RuntimeClass")
        let spec = (daemonSet["spec"] as? [String: Any])?["template"] as? [String: Any]
        let pod = try #require(spec?["spec"] as? [String: Any], "\(daemonSet)")
        let volumes = (pod["volumes"] as? [[String: Any]] ?? []).reduce(into: [String: String]()) {
            $0[$1["name"] as? String ?? ""] = ($1["hostPath"] as? [String: Any])?["path"] as? String
        }
        let install = try #require((pod["initContainers"] as? [[String: Any]])?.first, "\(pod)")
        #expect(install["command"] as? [String] == ["/opt/vplay/install.sh"])
        let env = (install["env"] as? [[String: Any]] ?? []).reduce(into: [String: String]()) { $0[$1["name"] as? String ?? ""] = $1["value"] as? String }
        let hostRoot = try #require(env["HOST_ROOT"], "\(install)")
        // Each mount of the init container shows a host path at HOST_ROOT + that path.
        var mounted: [String] = []
        for m in install["volumeMounts"] as? [[String: Any]] ?? [] {
            let host = try #require(volumes[m["name"] as? String ?? ""], "volume \(m) has no hostPath")
            #expect(m["mountPath"] as? String == hostRoot + host, "\(m) mounts \(host) elsewhere than \(hostRoot)\(host)")
            mounted.append(host)
        }
        let containerfile = try String(contentsOfFile: dir + "/Containerfile", encoding: .utf8)
        #expect(containerfile.contains("COPY deploy/kubernetes/install.sh /opt/vplay/install.sh"))
        #expect(containerfile.contains("/opt/vplay/bin/") && containerfile.contains("COPY oci-hooks/ /opt/vplay/oci-hooks/"))

        let scratch = try TempDir()
        defer { scratch.remove() }
        let source = try scratch.sub("src")
        for name in ["bin/vplay-hook", "bin/vplay-runtime"] { try scratch.write("src/" + name, "#!/bin/sh\n") }
        for file in try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/oci-hooks") {
            try FileManager.default.copyItem(atPath: packageRoot + "/oci-hooks/" + file, toPath: try scratch.sub("src/oci-hooks") + "/" + file)
        }
        for mode in ["crio", "containerd"] {
            let root = try scratch.sub("host-" + mode)
            let first = try run("/bin/sh", [dir + "/install.sh"], environment: ["HOST_ROOT": root, "SOURCE": source, "MODE": mode])
            #expect(first.status == 0, "\(mode): \(first.text)")
            let files = written(below: root)
            for file in files {
                #expect(mounted.contains { file.hasPrefix($0 + "/") }, "\(mode): \(file) is written to a host path the DaemonSet does not mount: \(mounted)")
            }
            #expect(files.contains("/usr/local/bin/vplay-hook") && files.contains("/etc/vplay/config.json"), "\(mode): \(files.sorted())")
            let node = try NodeConfig.load(path: root + "/etc/vplay/config.json")
            #expect(node.output == "/var/crash/vplay")
            if mode == "crio" {
                let hooks = files.filter { $0.hasPrefix("/etc/containers/oci/hooks.d/") }
                #expect(hooks.count == 2, "\(files.sorted())")
                for hook in hooks {
                    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + hook))) as? [String: Any]
                    #expect((json?["hook"] as? [String: Any])?["path"] as? String == "/usr/local/bin/vplay-hook", "\(hook)")
                }
            } else {
                #expect(files.contains("/usr/local/bin/vplay-runtime"))
                let dropIn = try String(contentsOfFile: root + "/etc/containerd/conf.d/vplay.toml", encoding: .utf8)
                let handler = try #require(runtimeClass["handler"] as? String)
                #expect(dropIn.contains("containerd.runtimes.\(handler)]") && dropIn.contains("runtime_type = \"io.containerd.runc.v2\""), "\(dropIn)")
                #expect(dropIn.contains("BinaryName = \"/usr/local/bin/vplay-runtime\""), "\(dropIn)")
                let main = try String(contentsOfFile: root + "/etc/containerd/config.toml", encoding: .utf8)
                #expect(main.hasPrefix("imports = [\"/etc/containerd/conf.d/vplay.toml\"]"), "\(main)")
            }
            // Again: the node's config is kept, the import not added twice.
            try "{ \"recordAll\": true }\n".write(toFile: root + "/etc/vplay/config.json", atomically: true, encoding: .utf8)
            let again = try run("/bin/sh", [dir + "/install.sh"], environment: ["HOST_ROOT": root, "SOURCE": source, "MODE": mode])
            #expect(again.status == 0, "\(again.text)")
            #expect(try NodeConfig.load(path: root + "/etc/vplay/config.json").recordAll, "install.sh must not overwrite the node's config")
            if mode == "containerd" {
                let main = try String(contentsOfFile: root + "/etc/containerd/config.toml", encoding: .utf8)
                #expect(main.components(separatedBy: "conf.d/vplay.toml").count == 2, "\(main)")
            }
        }
    }
}
