import FoundationEssentials
import TensorIO

/// What a conversion left out on purpose (``TensorExclusion``), said in a note and kept in the
/// output's metadata (`tubelet.excluded`), so a file never silently lacks a tensor.
public enum ExclusionRecord {
    /// `{"document": "tubelet.excluded", "format_version", "tubelet_version", "left_out":
    /// [{"name", "file_tensors", "reason"}]}` under `tubelet.excluded` (``DocumentHeader``).
    public static func metadata(_ leftOut: [TensorExclusion.LeftOut]) -> [String: String] {
        let entries: [JSONLiteral] = leftOut.map { entry in
            .object(["name": .string(entry.canonical), "file_tensors": .array(entry.fileTensors.map(JSONLiteral.string)),
                     "reason": .string(entry.reason)])
        }
        return ["tubelet.excluded": JSONLiteral.object(DocumentHeader.excluded.literalFields.merging(["left_out": .array(entries)]) { $1 }).compactText]
    }

    /// "left out 2 tensors on purpose: head.weight, head.bias (the image classifier (drop head))".
    public static func summary(_ leftOut: [TensorExclusion.LeftOut]) -> String {
        var byReason: [(reason: String, names: [String])] = []
        for entry in leftOut {
            let names = entry.fileTensors.isEmpty ? [entry.canonical] : entry.fileTensors
            if let index = byReason.firstIndex(where: { $0.reason == entry.reason }) {
                byReason[index].names += names
            } else {
                byReason.append((entry.reason, names))
            }
        }
        let count = leftOut.count
        return "left out \(count) \(count == 1 ? "tensor" : "tensors") on purpose: "
            + byReason.map { "\($0.names.joined(separator: ", ")) (\($0.reason))" }.joined(separator: "; ")
    }

    /// A pattern that matches nothing is a mistake (globs match whole names), not a no-op.
    public static func requireEveryPatternUsed(_ exclusion: TensorExclusion, leftOut: [TensorExclusion.LeftOut],
                                        file: String) throws(CheckpointError) {
        for pattern in exclusion.patterns
        where !leftOut.contains(where: { entry in ([entry.canonical] + entry.fileTensors).contains { exclusion.matches(pattern, $0) } }) {
            throw CheckpointError(.invalidRequest, file: file, "\(setting: .exclude) '\(pattern)' matches no tensor",
                fix: "A pattern matches whole names, canonical or the file's own ('head/*', 'head.*', '*pre_logits*'); see them with tubelet inspect")
        }
    }

    /// `source` without the tensors `exclusion`'s patterns name by the file's own names, for a
    /// conversion that keeps them (no layout): what is left out is in the metadata and returned.
    public static func excludingFileNames(_ source: any TensorSource,
                                          _ exclusion: TensorExclusion) throws(CheckpointError) -> (source: any TensorSource, leftOut: [TensorExclusion.LeftOut]) {
        let leftOut = source.tensors.compactMap { info in
            exclusion.patterns.first { exclusion.matches($0, info.name) }.map {
                TensorExclusion.LeftOut(canonical: info.name, fileTensors: [info.name], reason: "excluded by '\($0)'")
            }
        }
        try requireEveryPatternUsed(exclusion, leftOut: leftOut, file: source.path)
        return (SubsetSource(AnnotatedSource(source, adding: metadata(leftOut)), excluding: Set(leftOut.map(\.canonical))), leftOut)
    }
}
