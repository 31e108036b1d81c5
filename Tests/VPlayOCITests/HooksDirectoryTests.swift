import Foundation
import Testing
import VPlayJSON
import VPlayOCI

@Suite("hooks.d JSON for podman and CRI-O")
struct HooksDirectoryTests {
    @Test("version 1.0.0, hook path and args, annotation regexes, one stage", arguments: ["createRuntime", "prestart", "poststop"])
    func shape(stage: String) throws {
        let data = HooksDirectory.json(hookPath: "/usr/local/bin/vplay-hook", stage: stage)
        let json = try jsonObject(data)
        #expect(json.keys.sorted() == ["hook", "stages", "version", "when"])
        #expect(json["version"] as? String == "1.0.0")
        let hook = try #require(json["hook"] as? [String: Any])
        #expect(hook["path"] as? String == "/usr/local/bin/vplay-hook")
        #expect(hook["args"] as? [String] == ["vplay-hook", stage])
        let when = try #require(json["when"] as? [String: Any])
        #expect(when.keys.sorted() == ["annotations"])
        #expect(when["annotations"] as? [String: String] == [#"^io\.vplay\.record$"#: "^(1|true|yes)$"])
        #expect(json["stages"] as? [String] == [stage])
    }

    @Test("the annotation regexes match what enables recording")
    func regexesMatch() throws {
        let key = try NSRegularExpression(pattern: HooksDirectory.annotationKeyPattern)
        let value = try NSRegularExpression(pattern: HooksDirectory.annotationValuePattern)
        func matches(_ re: NSRegularExpression, _ s: String) -> Bool {
            re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
        }
        #expect(matches(key, "io.vplay.record"))
        #expect(!matches(key, "io.vplay.recordx"))
        #expect(!matches(key, "ioXvplay.record"))
        for v in ["1", "true", "yes"] {
            #expect(matches(value, v))
            #expect(HookSettings.isEnabled(v), "hooks.d and HookSettings must agree on \(v)")
        }
        for v in ["0", "false", "", "11"] { #expect(!matches(value, v)) }
    }

    @Test("paths with quotes or backslashes are escaped")
    func escaping() throws {
        let path = #"/opt/we"ird\dir/vplay-hook"#
        let json = try jsonObject(HooksDirectory.json(hookPath: path, stage: "poststop"))
        #expect((json["hook"] as? [String: Any])?["path"] as? String == path)
    }

    @Test("oci-hooks/ in the repository holds exactly the generated files", arguments: ["createRuntime", "poststop"])
    func repositoryFiles(stage: String) throws {
        let file = packageRoot + "/oci-hooks/" + HooksDirectory.fileName(stage: stage)
        let onDisk = try Data(contentsOf: URL(fileURLWithPath: file))
        let generated = HooksDirectory.json(hookPath: "/usr/local/bin/vplay-hook", stage: stage)
        #expect(onDisk == generated, "\(file) differs from HooksDirectory.json(…):\n\(String(decoding: generated, as: UTF8.self))")
    }

    @Test("written by the one JSON writer, escaping included", arguments: ["/usr/local/bin/vplay-hook", "/opt/we\"ird\\dir/ta\tb"])
    func oneWriter(path: String) throws {
        let data = HooksDirectory.json(hookPath: path, stage: "createRuntime")
        let text = String(decoding: data, as: UTF8.self)
        #expect(text == (try JSONValue.parse(data)).printed)
        #expect(text.contains("\"path\" : \(JSONValue.quoted(path))"))
    }

    @Test("file names: vplay-createruntime.json, vplay-poststop.json")
    func fileNames() {
        #expect(HooksDirectory.fileName(stage: "createRuntime") == "vplay-createruntime.json")
        #expect(HooksDirectory.fileName(stage: "poststop") == "vplay-poststop.json")
    }
}
