import Foundation
import Testing
import VPlayOCI

@Suite("config.json of an OCI bundle")
struct OCIConfigTests {
    @Test("annotations, process args and a relative root.path resolved against the bundle")
    func loadsFields() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let bundle = try tmp.sub("bundle")
        try tmp.write("bundle/config.json", #"""
            {"ociVersion":"1.0.2","process":{"terminal":false,"args":["/bin/crasher","/input.txt"],"cwd":"/"},
             "root":{"path":"rootfs","readonly":true},"annotations":{"io.vplay.record":"1","k":"v"},
             "linux":{"namespaces":[{"type":"pid"}]}}
            """#)
        let config = try OCIConfig.load(bundle: bundle)
        #expect(config.bundle == bundle)
        #expect(config.path == bundle + "/config.json")
        #expect(config.annotations == ["io.vplay.record": "1", "k": "v"])
        #expect(config.processArgs == ["/bin/crasher", "/input.txt"])
        #expect(config.program == "crasher")
        #expect(config.rootPath == bundle + "/rootfs")
        #expect(config.rootReadonly == true)
    }

    @Test("an absolute root.path is kept and normalised")
    func absoluteRoot() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let bundle = try tmp.sub("b")
        try tmp.write("b/config.json", #"{"root":{"path":"/srv//images/./x/../rootfs/"}}"#)
        let config = try OCIConfig.load(bundle: bundle)
        #expect(config.rootPath == "/srv/images/rootfs")
        #expect(config.annotations.isEmpty)
        #expect(config.processArgs.isEmpty)
        #expect(config.program == nil)
    }

    @Test("a missing config.json throws missingConfig with its path")
    func missingConfig() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let bundle = try tmp.sub("empty")
        #expect(throws: OCIError.missingConfig(bundle + "/config.json")) {
            try OCIConfig.load(bundle: bundle)
        }
        #expect(message(OCIError.missingConfig("/x/config.json")).contains("/x/config.json"))
    }

    @Test("malformed config.json is reported with the file's path")
    func malformedConfig() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let cases = [
            "{oops", "[]", #"{"annotations":["a"]}"#, #"{"annotations":{"a":1}}"#,
            #"{"root":{"path":""}}"#, #"{"root":"rootfs"}"#, #"{"process":{"args":"sh"}}"#,
            #"{"process":{"args":["sh",1]}}"#,
        ]
        for (i, text) in cases.enumerated() {
            let bundle = try tmp.sub("b\(i)")
            try tmp.write("b\(i)/config.json", text)
            #expect {
                _ = try OCIConfig.load(bundle: bundle)
            } throws: { error in
                guard case OCIError.malformedConfig(let path, _) = error else { return false }
                return path == bundle + "/config.json" && message(error).contains(path)
            }
        }
    }

    @Test("config.json that is a directory is unreadable, not missing")
    func configIsDirectory() throws {
        let tmp = try TempDir()
        defer { tmp.remove() }
        let bundle = try tmp.sub("b")
        _ = try tmp.sub("b/config.json")
        #expect {
            _ = try OCIConfig.load(bundle: bundle)
        } throws: { error in
            if case OCIError.unreadableConfig = error { return true }
            return false
        }
    }
}
