/// `q` packets: features, threads, and `qXfer` objects.
extension GDBSession {
    func query(_ p: ArraySlice<UInt8>) -> [UInt8] {
        let text = Substring(decoding: p, as: UTF8.self)
        if text.hasPrefix("Supported") { return reply(supported(text)) }
        if text.hasPrefix("Xfer:") { return xfer(text.dropFirst(5)) }
        switch text {
        case "C": return reply(currentThread())
        case "fThreadInfo": return reply(threadList())
        case "sThreadInfo": return reply("l")
        case "Attached": return reply("1")  // killing on quit would be wrong for a live process
        case "Symbol::": return reply("OK")
        default: return []
        }
    }

    /// Our features; notes which of gdb's we may use.
    private func supported(_ text: Substring) -> String {
        let theirs = text.split(separator: ":", maxSplits: 1).last?.split(separator: ";") ?? []
        gdbReportsBreakKinds = theirs.contains("swbreak+")
        var features = [
            "PacketSize=\(String(packetSize, radix: 16))",
            "qXfer:features:read+", "qXfer:exec-file:read+", "qXfer:libraries-svr4:read+", "qXfer:auxv:read+",
            "vContSupported+", "QStartNoAckMode+", "swbreak+", "hwbreak+",
        ]
        if target.capabilities.contains(.reverseContinue) { features.append("ReverseContinue+") }
        if target.capabilities.contains(.reverseStep) { features.append("ReverseStep+") }
        return features.joined(separator: ";")
    }

    private func currentThread() -> String {
        guard let thread = lastStop.thread ?? (try? target.threads().first) else { return "" }
        return "QC" + String(thread, radix: 16)
    }

    private func threadList() -> String {
        do {
            let threads = try target.threads()
            guard !threads.isEmpty else { return "l" }
            return "m" + threads.map { String($0, radix: 16) }.joined(separator: ",")
        } catch {
            return errorReply(error, "list threads")
        }
    }

    private func xfer(_ rest: Substring) -> [UInt8] {
        guard let request = Xfer.parseRead(rest) else {
            // A write, or an object we do not know: unsupported.
            return []
        }
        let document: [UInt8]
        do {
            guard let doc = try xferDocument(request) else { return [] }
            document = doc
        } catch let error as XferError {
            return reply(error.reply)
        } catch {
            return reply(errorReply(error, "qXfer:\(request.object)"))
        }
        return Xfer.reply(document, offset: request.offset, length: request.length, maxPayload: packetSize)
    }

    private struct XferError: Error { let reply: String }

    /// The whole object; nil for an object this server does not serve.
    private func xferDocument(_ r: Xfer.Request) throws -> [UInt8]? {
        switch r.object {
        case "features":
            guard r.annex == "target.xml" else { throw XferError(reply: "E00") }
            return Array(TargetXML.amd64Linux.utf8)
        case "exec-file": return Array(try target.executablePath().utf8)
        case "libraries-svr4": return Array(Xfer.librariesSVR4(try target.libraries()).utf8)
        case "auxv": return try target.auxiliaryVector()
        default: return nil
        }
    }
}
