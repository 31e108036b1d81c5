import Foundation
import Testing
import VPlayOCI

@Suite("io.vplay.* annotations")
struct HookSettingsTests {
    let bundle = "/srv/bundles/c1"
    var rootfsConfig: OCIConfig {
        OCIConfig(bundle: bundle, rootPath: bundle + "/rootfs", processArgs: ["/crasher"])
    }

    func state(_ annotations: [String: String]?) -> OCIState {
        OCIState(id: "c1", pid: 10, bundle: bundle, annotations: annotations)
    }

    func settings(_ annotations: [String: String], config: OCIConfig? = nil) throws -> HookSettings {
        try HookSettings.from(state: state(annotations), config: config ?? rootfsConfig)
    }

    @Test("defaults: window 2 s, output <bundle>/vplay, no exit codes, not strict")
    func defaults() throws {
        let s = try settings(["io.vplay.record": "1"])
        #expect(s.enabled)
        #expect(s.window == 2)
        #expect(s.outputDirectory == bundle + "/vplay")
        #expect(s.exitCodes == [])
        #expect(s.strict == false)
    }

    @Test("the node config gives the defaults, the annotations override them; recordAll records a container without io.vplay.record, which can still opt out")
    func nodeConfigDefaults() throws {
        let node = NodeConfig(recordAll: true, strict: true, window: 5, output: "/var/crash/vplay", trialReplay: false,
                              onBundle: "cp \"$1\" /srv/")
        let fromNode = try HookSettings.from(state: state([:]), config: rootfsConfig, node: node)
        #expect(fromNode.enabled && fromNode.window == 5 && fromNode.outputDirectory == "/var/crash/vplay")
        #expect(fromNode.strict && !fromNode.trialReplay && fromNode.onBundle == "cp \"$1\" /srv/")
        let overridden = try HookSettings.from(state: state(["io.vplay.record": "1", "io.vplay.window": "1", "io.vplay.strict": "0",
                                                             "io.vplay.trial": "1", "io.vplay.output": "/x"]),
                                               config: rootfsConfig, node: node)
        #expect(overridden.window == 1 && !overridden.strict && overridden.trialReplay && overridden.outputDirectory == "/x")
        #expect(try !HookSettings.from(state: state(["io.vplay.record": "0"]), config: rootfsConfig, node: node).enabled)
        #expect(try !HookSettings.from(state: state([:]), config: rootfsConfig, node: NodeConfig()).enabled)
    }

    @Test("io.vplay.trial and io.vplay.trial-time-limit: trial replay on, 30 s, unless set")
    func trialSettings() throws {
        let d = try settings(["io.vplay.record": "1"])
        #expect(d.trialReplay && d.trialTimeLimit == 30)
        let s = try settings(["io.vplay.record": "1", "io.vplay.trial": "0", "io.vplay.trial-time-limit": "5.5"])
        #expect(s.trialReplay == false && s.trialTimeLimit == 5.5)
        for bad in ["0", "-3", "soon", "inf"] {
            #expect(throws: OCIError.self, "\(bad)") { try settings(["io.vplay.record": "1", "io.vplay.trial-time-limit": bad]) }
        }
        #expect(throws: OCIError.self) { try settings(["io.vplay.record": "1", "io.vplay.trial": "maybe"]) }
    }

    @Test("io.vplay.path: bpf or ptrace (any case); unset leaves the recorder's default; anything else is refused")
    func recordingPath() throws {
        #expect(try settings(["io.vplay.record": "1"]).recordingPath == nil)
        #expect(try settings(["io.vplay.record": "1", "io.vplay.path": "PTRACE"]).recordingPath == "ptrace")
        #expect(try settings(["io.vplay.record": "1", "io.vplay.path": " bpf"]).recordingPath == "bpf")
        #expect(throws: OCIError.self) { try settings(["io.vplay.record": "1", "io.vplay.path": "ebpf"]) }
    }

    @Test("io.vplay.record enables recording unless absent, 0 or false")
    func enabled() throws {
        for value in ["1", "true", "yes", "TRUE", "on", "anything"] {
            #expect(try settings(["io.vplay.record": value]).enabled, "\(value)")
        }
        for value in ["0", "false", "False", "no", "off", ""] {
            #expect(try settings(["io.vplay.record": value]).enabled == false, "\(value)")
        }
        #expect(try settings([:]).enabled == false)
        #expect(try HookSettings.from(state: state(nil), config: nil).enabled == false)
    }

    @Test("a container that does not record is never rejected for other vplay annotations")
    func disabledSkipsValidation() throws {
        let s = try settings(["io.vplay.window": "-1", "io.vplay.output": bundle + "/rootfs/x", "io.vplay.exit-codes": "x"])
        #expect(s.enabled == false)
    }

    @Test("state annotations override config.json annotations")
    func stateOverridesConfig() throws {
        var config = rootfsConfig
        config.annotations = ["io.vplay.record": "1", "io.vplay.window": "5", "io.vplay.strict": "1", "only.config": "c"]
        let s = try HookSettings.from(state: state(["io.vplay.window": "0.5", "only.state": "s"]), config: config)
        #expect(s.enabled)
        #expect(s.window == 0.5)
        #expect(s.strict)
        #expect(s.annotations["only.config"] == "c")
        #expect(s.annotations["only.state"] == "s")
        #expect(s.annotations["io.vplay.window"] == "0.5")

        let off = try HookSettings.from(state: state(["io.vplay.record": "0"]), config: config)
        #expect(off.enabled == false)
    }

    @Test("io.vplay.window accepts positive seconds and rejects the rest")
    func window() throws {
        #expect(try settings(["io.vplay.record": "1", "io.vplay.window": "0.25"]).window == 0.25)
        #expect(try settings(["io.vplay.record": "1", "io.vplay.window": " 10 "]).window == 10)
        for bad in ["0", "-2", "abc", "", "nan", "inf", "2s"] {
            #expect {
                _ = try settings(["io.vplay.record": "1", "io.vplay.window": bad])
            } throws: { error in
                guard case OCIError.invalidAnnotation(let key, let value, _) = error else { return false }
                return key == "io.vplay.window" && value == bad && message(error).contains("io.vplay.window")
            }
        }
    }

    @Test("io.vplay.exit-codes is a comma-separated list of codes 0-255")
    func exitCodes() throws {
        #expect(try settings(["io.vplay.record": "1", "io.vplay.exit-codes": "3"]).exitCodes == [3])
        #expect(try settings(["io.vplay.record": "1", "io.vplay.exit-codes": "3, 42 ,255"]).exitCodes == [3, 42, 255])
        #expect(try settings(["io.vplay.record": "1", "io.vplay.exit-codes": "3,3"]).exitCodes == [3])
        #expect(try settings(["io.vplay.record": "1", "io.vplay.exit-codes": ""]).exitCodes == [])
        for bad in ["3,,4", "x", "256", "-1", "3;4", "1,"] {
            #expect {
                _ = try settings(["io.vplay.record": "1", "io.vplay.exit-codes": bad])
            } throws: { error in
                guard case OCIError.invalidAnnotation(let key, _, _) = error else { return false }
                return key == "io.vplay.exit-codes"
            }
        }
    }

    @Test("io.vplay.strict is 1/true (on) or 0/false (off); other values are rejected")
    func strict() throws {
        for on in ["1", "true", "True", "yes"] {
            #expect(try settings(["io.vplay.record": "1", "io.vplay.strict": on]).strict, "\(on)")
        }
        for off in ["0", "false", "no", ""] {
            #expect(try settings(["io.vplay.record": "1", "io.vplay.strict": off]).strict == false, "\(off)")
        }
        #expect(throws: OCIError.self) { try settings(["io.vplay.record": "1", "io.vplay.strict": "maybe"]) }
    }

    @Test("strictRequested never throws and treats unknown values as strict")
    func strictRequested() {
        #expect(HookSettings.strictRequested(annotations: [:]) == false)
        #expect(HookSettings.strictRequested(annotations: ["io.vplay.strict": "0"]) == false)
        #expect(HookSettings.strictRequested(annotations: ["io.vplay.strict": "1"]))
        #expect(HookSettings.strictRequested(annotations: ["io.vplay.strict": "maybe"]))
    }

    @Test("io.vplay.output: absolute, or relative to the bundle directory")
    func output() throws {
        #expect(try settings(["io.vplay.record": "1", "io.vplay.output": "/var/crash/vplay/"]).outputDirectory == "/var/crash/vplay")
        #expect(try settings(["io.vplay.record": "1", "io.vplay.output": "crashes"]).outputDirectory == bundle + "/crashes")
        #expect(throws: OCIError.self) { try settings(["io.vplay.record": "1", "io.vplay.output": "  "]) }
    }

    @Test("an output directory inside the container's rootfs is rejected")
    func outputInsideRootfs() throws {
        for bad in [bundle + "/rootfs", bundle + "/rootfs/tmp/vplay", "rootfs/var", bundle + "/x/../rootfs/y"] {
            #expect {
                _ = try settings(["io.vplay.record": "1", "io.vplay.output": bad])
            } throws: { error in
                guard case OCIError.outputInsideRootfs(_, let rootfs) = error else { return false }
                return rootfs == bundle + "/rootfs" && message(error).contains("root filesystem")
            }
        }
        // A sibling whose name merely starts with the rootfs's name is fine.
        #expect(try settings(["io.vplay.record": "1", "io.vplay.output": bundle + "/rootfs-crashes"]).outputDirectory
                == bundle + "/rootfs-crashes")
    }

    @Test("a rootfs that is the bundle directory itself rejects the default output")
    func rootfsIsBundle() {
        let config = OCIConfig(bundle: bundle, rootPath: bundle)
        #expect(throws: OCIError.outputInsideRootfs(output: bundle + "/vplay", rootfs: bundle)) {
            try HookSettings.from(state: state(["io.vplay.record": "1"]), config: config)
        }
    }

    @Test("the rootfs check sees through symlinks")
    func rootfsSymlink() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let rootfs = try tmp.sub("bundle/rootfs")
        try FileManager.default.createSymbolicLink(atPath: tmp.path + "/link-into-rootfs", withDestinationPath: rootfs)
        #expect(throws: OCIError.self) {
            try HookSettings.checkOutsideRootfs(output: tmp.path + "/link-into-rootfs/crashes", rootfs: rootfs)
        }
        try HookSettings.checkOutsideRootfs(output: tmp.path + "/bundle/vplay", rootfs: rootfs)
    }

    @Test("without config.json only the state's annotations count")
    func noConfig() throws {
        let s = try HookSettings.from(state: state(["io.vplay.record": "1", "io.vplay.strict": "1"]), config: nil)
        #expect(s.enabled && s.strict)
        #expect(s.outputDirectory == bundle + "/vplay")
    }

    @Test("the container record for the manifest holds id, bundle, rootfs and annotations")
    func containerRecord() {
        var config = rootfsConfig
        config.annotations = ["io.vplay.record": "1"]
        let record = HookSettings.containerRecord(state: state(["io.vplay.window": "1"]), config: config)
        #expect(record["id"] == "c1")
        #expect(record["bundle"] == bundle)
        #expect(record["rootfs"] == bundle + "/rootfs")
        #expect(record["io.vplay.record"] == "1")
        #expect(record["io.vplay.window"] == "1")
    }
}
