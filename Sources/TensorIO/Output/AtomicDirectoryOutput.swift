import FoundationEssentials
internal import CPlatform

#if canImport(Glibc)
import Glibc
#endif

/// The directory counterpart of ``AtomicOutput``, for outputs that are several files (a
/// sharded safetensors checkpoint): written into a hidden temporary directory beside the
/// target, flushed, and renamed into place only when complete.
///
/// With `overwrite`, an existing target directory is replaced only when it holds nothing but
/// safetensors shards and their index (a previous output of the same kind), so overwriting
/// can never delete a directory of unrelated files. The old directory is moved aside, the new
/// one renamed in, and only then is the old one removed.
enum AtomicDirectoryOutput {
    static func write(
        to path: String,
        overwrite: Bool,
        inputs: [String],
        body: (String) throws(CheckpointError) -> Void
    ) throws(CheckpointError) {
        // Checked again here, not only by the command line before it began: the file system
        // may have changed since. A symbolic link is followed; the link stays.
        let target = try OutputPreflight.check(path, kind: .directory, overwrite: overwrite, inputs: inputs)
        var status = stat()
        let exists = lstat(target, &status) == 0
        let temporary = AtomicOutput.temporaryPath(beside: target)
        try TemporaryOutputs.tracking(temporary) { () throws(CheckpointError) in
            do throws(CheckpointError) {
                try body(temporary)
                try flushToDisk(temporary, reportedAs: path)
                if exists, exchange(temporary, target) {
                    // The new directory is in place and the previous one sits at `temporary`.
                    try? FileManager.default.removeItem(atPath: temporary)
                } else if exists {
                    try replaceByRenaming(target, with: temporary, reportedAs: path)
                } else {
                    guard rename(temporary, target) == 0 else {
                        throw CheckpointError(.io, file: path, "cannot move the finished output into place: \(String(cString: strerror(errno)))")
                    }
                }
                AtomicOutput.flushDirectory(of: target)
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                var reported = error
                if reported.file.hasPrefix(temporary) { reported.file = path + reported.file.dropFirst(temporary.count) }
                throw reported
            }
        }
    }

    /// Where ``exchange(_:_:)`` is not available: the previous directory is renamed aside,
    /// the new one into place, and the previous one removed.
    ///
    /// The directory aside is tracked for removal on an interrupt only once the new one is in
    /// place: an interrupt between the two renames leaves it (the previous output, whole) for
    /// the next run to name, rather than losing both.
    private static func replaceByRenaming(_ target: String, with temporary: String, reportedAs path: String) throws(CheckpointError) {
        let aside = AtomicOutput.temporaryPath(beside: target)
        guard rename(target, aside) == 0 else {
            throw CheckpointError(.io, file: path, "cannot move the previous output aside: \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            rename(aside, target)
            throw CheckpointError(.io, file: path, "cannot move the finished output into place: \(reason)")
        }
        TemporaryOutputs.tracking(aside) {
            try? FileManager.default.removeItem(atPath: aside)
        }
    }

    /// Swaps `a` and `b` in one step (Linux `renameat2(RENAME_EXCHANGE)`), so a crash leaves
    /// either the previous directory or the new one at the target, never neither. False where
    /// the call or the file system does not offer it; the caller then renames the previous
    /// directory aside first, which leaves the target missing for an instant.
    private static func exchange(_ a: String, _ b: String) -> Bool {
        (try? SystemCall.run { cplatform_rename_exchange(a, b) }) != nil
    }

    /// The file names a sharded safetensors output consists of.
    static func isShardOutputName(_ name: String) -> Bool {
        // config.json, preprocessor_config.json: a Hugging Face model directory is the same kind of output.
        if ["model.safetensors", "model.safetensors.index.json", "config.json", "preprocessor_config.json"].contains(name) { return true }
        guard name.hasPrefix("model-"), name.hasSuffix(".safetensors") else { return false }
        let middle = name.dropFirst("model-".count).dropLast(".safetensors".count)
        let parts = middle.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[1] == "of" && parts[0].allSatisfy(\.isASCII) && parts[0].allSatisfy(\.isNumber)
            && parts[2].allSatisfy(\.isASCII) && parts[2].allSatisfy(\.isNumber) && !parts[0].isEmpty && !parts[2].isEmpty
    }

    private static func flushToDisk(_ directory: String, reportedAs path: String) throws(CheckpointError) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names {
            try AtomicOutput.flushToDisk(directory + "/" + name, target: path)
        }
        try AtomicOutput.flushToDisk(directory, target: path)
    }
}
