import FoundationEssentials
import Porting

/// `diff`'s table, and its JSON (keys sorted): the ``DocumentHeader`` (`tubelet.diff`), `first`, `second`, `basis` (how names were
/// matched), `equal`, `atol`, `rtol`, `only_in_first`, `only_in_second` (names), and
/// `tensors`, the entries of ``TensorComparison``; `kind_difference` when the files hold
/// different kinds of model (then nothing was compared tensor by tensor), else null.
extension TensorComparison {
    func table(first: String, second: String, basis: String) -> String {
        var text = ""
        for name in onlyInFirst { text += "only in \(first): \(name)\n" }
        for name in onlyInSecond { text += "only in \(second): \(name)\n" }
        let differing = entries.filter { $0.status != .equal }
        if !differing.isEmpty {
            var rows = [["NAME", "DIFFERENCE", "MISMATCHED", "MAX ABS", "MAX REL", "FIRST AT"]]
            for entry in differing {
                rows.append([entry.name, entry.status.rawValue + (entry.detail.map { " (\($0))" } ?? ""),
                             entry.mismatched.map(String.init) ?? "-", entry.maxAbsDiff.map(InspectReport.short) ?? "-",
                             entry.maxRelDiff.map(InspectReport.short) ?? "-", entry.firstMismatch.map(String.init) ?? "-"])
            }
            text += TextTable.render(rows, rightAligned: [2, 3, 4, 5])
        }
        let verdict = isEqual ? "match" : "differ"
        text += "\(first) and \(second) \(verdict): \(entries.count) tensors compared by \(basis), \(differing.count) differ, "
            + "\(onlyInFirst.count) only in the first, \(onlyInSecond.count) only in the second (atol \(atol), rtol \(rtol))\n"
        return text
    }

    func jsonText(first: String, second: String, basis: String, kindDifference: String? = nil) throws -> String {
        struct Document: Encodable {
            var first: String, second: String, basis: String, equal: Bool, atol: Double, rtol: Double
            var onlyInFirst: [String], onlyInSecond: [String], tensors: [Entry], kindDifference: String?
            enum CodingKeys: String, CodingKey {
                case first, second, basis, equal, atol, rtol, tensors
                case onlyInFirst = "only_in_first", onlyInSecond = "only_in_second", kindDifference = "kind_difference"
            }
            func encode(to encoder: any Encoder) throws {
                try DocumentHeader.diff.encode(to: encoder)
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(first, forKey: .first)
                try container.encode(second, forKey: .second)
                try container.encode(basis, forKey: .basis)
                try container.encode(equal, forKey: .equal)
                try container.encode(atol, forKey: .atol)
                try container.encode(rtol, forKey: .rtol)
                try container.encode(onlyInFirst, forKey: .onlyInFirst)
                try container.encode(onlyInSecond, forKey: .onlyInSecond)
                try container.encode(tensors, forKey: .tensors)
                try container.encode(kindDifference, forKey: .kindDifference)  // null when the kinds match
            }
        }
        let document = Document(first: first, second: second, basis: basis, equal: isEqual && kindDifference == nil, atol: atol, rtol: rtol,
                                onlyInFirst: onlyInFirst, onlyInSecond: onlyInSecond, tensors: entries, kindDifference: kindDifference)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
