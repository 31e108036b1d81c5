import Foundation
import Testing
import VPlayOCI

@Suite("OCI state JSON on stdin")
struct OCIStateTests {
    @Test("a runc createRuntime state parses with pid, bundle and annotations")
    func runcState() throws {
        let json = #"""
            {"ociVersion":"1.0.2-dev","id":"web-1","status":"creating","pid":4242,
             "bundle":"/srv/bundles/web-1","annotations":{"io.vplay.record":"1","other":"x"}}
            """#
        let state = try OCIState.parse(Data(json.utf8), requirePID: true)
        #expect(state.ociVersion == "1.0.2-dev")
        #expect(state.id == "web-1")
        #expect(state.status == "creating")
        #expect(state.pid == 4242)
        #expect(try state.requirePID() == 4242)
        #expect(state.bundle == "/srv/bundles/web-1")
        #expect(state.annotations == ["io.vplay.record": "1", "other": "x"])
    }

    @Test("a podman poststop state without pid parses when no pid is required")
    func poststopWithoutPID() throws {
        let json = #"{"ociVersion":"1.0.2-dev","id":"8126481e30212ca3","status":"stopped","bundle":"/var/lib/containers/x/userdata","annotations":{"io.vplay.record":"1"}}"#
        let state = try OCIState.parse(Data(json.utf8))
        #expect(state.pid == nil)
        #expect(state.status == "stopped")
        #expect(throws: OCIError.missingPID) { try state.requirePID() }
    }

    @Test("unknown fields are ignored and annotations may be absent")
    func unknownFields() throws {
        let json = #"{"ociVersion":"1.1.0","id":"a","status":"created","pid":7,"bundle":"/b","future":{"x":[1,2]}}"#
        let state = try OCIState.parse(Data(json.utf8))
        #expect(state.annotations == nil)
        #expect(state.pid == 7)
    }

    @Test("malformed JSON throws 'state JSON on stdin is malformed'")
    func malformedJSON() {
        for text in ["{not json", "{\"id\": \"a\",", "[1,2,3]", "42", "\"just a string\""] {
            do {
                _ = try OCIState.parse(Data(text.utf8))
                Issue.record("\(text) parsed")
            } catch let error as OCIError {
                guard case .malformedState = error else {
                    Issue.record("\(text): unexpected \(error)")
                    continue
                }
                #expect(message(error).hasPrefix("state JSON on stdin is malformed: "), "\(error)")
            } catch {
                Issue.record("\(text): not an OCIError: \(error)")
            }
        }
    }

    @Test("the malformed message shows the start of the input")
    func malformedShowsInput() {
        #expect {
            _ = try OCIState.parse(Data("{not json at all".utf8))
        } throws: { error in
            message(error).contains("{not json at all")
        }
    }

    @Test("empty stdin throws a clear 'empty' error")
    func emptyInput() {
        #expect(throws: OCIError.emptyState) { try OCIState.parse(Data()) }
        #expect(throws: OCIError.emptyState) { try OCIState.parse(Data(" \n\t".utf8)) }
        #expect(message(OCIError.emptyState).contains("empty"))
    }

    @Test("wrong field types name the field")
    func wrongTypes() {
        let cases: [(String, String)] = [
            (#"{"id":"a","bundle":"/b","pid":"12"}"#, "pid"),
            (#"{"id":5,"bundle":"/b"}"#, "id"),
            (#"{"id":"a","bundle":"/b","annotations":{"k":1}}"#, "annotations"),
            (#"{"id":"a","bundle":"/b","annotations":["k"]}"#, "annotations"),
            (#"{"id":"a","bundle":"/b","pid":99999999999}"#, "pid"),
        ]
        for (json, field) in cases {
            #expect {
                _ = try OCIState.parse(Data(json.utf8))
            } throws: { error in
                guard case OCIError.malformedState(let detail) = error else { return false }
                return detail.contains(field)
            }
        }
    }

    @Test("a state without id or bundle is rejected with the field's name")
    func missingIDOrBundle() {
        #expect(throws: OCIError.missingStateField("id")) {
            try OCIState.parse(Data(#"{"bundle":"/b","pid":1}"#.utf8))
        }
        #expect(throws: OCIError.missingStateField("id")) {
            try OCIState.parse(Data(#"{"id":"","bundle":"/b","pid":1}"#.utf8))
        }
        #expect(throws: OCIError.missingStateField("bundle")) {
            try OCIState.parse(Data(#"{"id":"a","pid":1}"#.utf8))
        }
        #expect(message(OCIError.missingStateField("bundle")) == "state has no bundle")
    }

    @Test("a missing or zero pid is rejected with 'state has no pid' when required")
    func missingPID() {
        #expect(throws: OCIError.missingPID) {
            try OCIState.parse(Data(#"{"id":"a","bundle":"/b"}"#.utf8), requirePID: true)
        }
        #expect(throws: OCIError.missingPID) {
            try OCIState.parse(Data(#"{"id":"a","bundle":"/b","pid":0}"#.utf8), requirePID: true)
        }
        #expect(message(OCIError.missingPID).hasPrefix("state has no pid"))
    }

    @Test("a negative pid is rejected")
    func negativePID() {
        #expect(throws: OCIError.invalidPID(-3)) {
            try OCIState.parse(Data(#"{"id":"a","bundle":"/b","pid":-3}"#.utf8))
        }
    }

    @Test("a state encodes and parses back unchanged")
    func roundTrip() throws {
        let state = OCIState(ociVersion: "1.0.2", id: "c", status: "creating", pid: 12, bundle: "/b",
                             annotations: ["io.vplay.window": "0.5"])
        let back = try OCIState.parse(try JSONEncoder().encode(state), requirePID: true)
        #expect(back == state)
    }
}
