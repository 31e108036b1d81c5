import Foundation
import VPlayBundle
import VPlayGDB
import VPlaySymbols

/// What gdb learns about the program's files from a bundle: the executable's path, the
/// libraries with their load addresses, and the ELF files themselves (served through vFile,
/// so gdb needs neither the image nor the files).
struct BundleObjects {
    let bundle: Bundle

    var executablePath: String { bundle.manifest.process.executablePath }

    var files: GDBFileProvider {
        var byPath: [String: [UInt8]] = [:]
        for o in bundle.objects { byPath[o.path] = o.bytes }
        return .inMemory(byPath, links: interpreterLinks)
    }

    /// gdb also opens the dynamic linker by the name the executable's PT_INTERP gives
    /// (/lib64/ld-linux-x86-64.so.2), which the maps show under its real path.
    var interpreterLinks: [String: String] {
        guard let exe = bundle.objects.first(where: { $0.path == executablePath }),
              let elf = try? ELFFile(bytes: exe.bytes),
              let interp = elf.programHeaders.first(where: { $0.type == 3 }),  // PT_INTERP
              let bytes = try? elf.contents(of: interp) else { return [:] }
        let name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        let base = (name as NSString).lastPathComponent
        guard let target = bundle.objects.first(where: { ($0.path as NSString).lastPathComponent == base }), target.path != name else { return [:] }
        return [name: target.path]
    }

    /// Every bundled object but the executable, placed where its file offset 0 was mapped at
    /// the end. `linkMap` is not known (the link_map lives in ld.so's memory); the dynamic
    /// section's address stands in, which keeps entries distinct.
    var libraries: GDBLibraryList {
        let maps = bundle.state.crashMappings ?? bundle.state.mappings
        var list: [GDBLibrary] = []
        for o in bundle.objects where o.path != executablePath {
            guard let base = maps.first(where: { $0.path == o.path && $0.offset == 0 }),
                  let elf = try? ELFFile(bytes: o.bytes), let first = elf.firstLoadSegment else { continue }
            let bias = base.start &- (first.virtualAddress & ~0xfff)
            let dynamic = elf.programHeaders.first { $0.type == ProgramHeader.dynamic }.map { bias &+ $0.virtualAddress } ?? 0
            list.append(GDBLibrary(path: o.path, linkMap: dynamic, loadBias: bias, dynamicSection: dynamic))
        }
        return GDBLibraryList(mainLinkMap: nil, libraries: list)
    }
}
