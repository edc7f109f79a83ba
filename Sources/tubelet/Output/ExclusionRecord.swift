import FoundationEssentials
import Porting
import TensorIO

/// What `convert --exclude` and `--drop-head` left out, said on stderr and kept in the
/// output's metadata (`tubelet.excluded`), so a file never silently lacks a tensor.
enum ExclusionRecord {
    /// `{"left_out": [{"name", "file_tensors", "reason"}]}` under `tubelet.excluded`.
    static func metadata(_ leftOut: [TensorExclusion.LeftOut]) -> [String: String] {
        let entries: [JSONLiteral] = leftOut.map { entry in
            .object(["name": .string(entry.canonical), "file_tensors": .array(entry.fileTensors.map(JSONLiteral.string)),
                     "reason": .string(entry.reason)])
        }
        return ["tubelet.excluded": JSONLiteral.object(["left_out": .array(entries)]).compactText]
    }

    /// "left out 2 tensors on purpose: head.weight, head.bias (the image classifier (drop head))".
    static func summary(_ leftOut: [TensorExclusion.LeftOut]) -> String {
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
    static func requireEveryPatternUsed(_ exclusion: TensorExclusion, leftOut: [TensorExclusion.LeftOut],
                                        file: String) throws(CheckpointError) {
        for pattern in exclusion.patterns
        where !leftOut.contains(where: { entry in ([entry.canonical] + entry.fileTensors).contains { exclusion.matches(pattern, $0) } }) {
            throw CheckpointError(.invalidRequest, file: file, "--exclude '\(pattern)' matches no tensor",
                fix: "A pattern matches whole names, canonical or the file's own ('head/*', 'head.*', '*pre_logits*'); see them with tubelet inspect")
        }
    }
}
