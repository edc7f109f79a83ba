import FoundationEssentials
import TensorIO

/// The differences between two sources, tensor by tensor, read one pair at a time.
///
/// JSON (`diff --json`, keys sorted): `first`, `second`, `basis` (how names were matched),
/// `equal`, `atol`, `rtol`, `only_in_first`, `only_in_second` (names), and `tensors`: one
/// entry per tensor in both, `{name, status: equal|values|shape|dtype, max_abs_diff,
/// max_rel_diff, mismatched (count of elements outside tolerance), first_mismatch (flat index)}`.
struct TensorComparison: Encodable {
    struct Entry: Encodable {
        var name: String
        var status: String
        var detail: String?
        var maxAbsDiff: Double?
        var maxRelDiff: Double?
        var mismatched: Int?
        var firstMismatch: Int?

        enum CodingKeys: String, CodingKey {
            case name, status, detail
            case maxAbsDiff = "max_abs_diff", maxRelDiff = "max_rel_diff", mismatched
            case firstMismatch = "first_mismatch"
        }
    }

    var atol: Double
    var rtol: Double
    var onlyInFirst: [String]
    var onlyInSecond: [String]
    var entries: [Entry]

    var isEqual: Bool { onlyInFirst.isEmpty && onlyInSecond.isEmpty && entries.allSatisfy { $0.status == "equal" } }

    static func compare(_ a: any TensorSource, _ b: any TensorSource, atol: Double, rtol: Double) throws(CheckpointError) -> TensorComparison {
        let namesB = Set(b.tensors.map(\.name))
        let namesA = Set(a.tensors.map(\.name))
        var entries: [Entry] = []
        for info in a.tensors where namesB.contains(info.name) {
            guard let other = b.info(info.name) else { continue }
            if info.shape != other.shape {
                entries.append(Entry(name: info.name, status: "shape", detail: "\(Shape.describe(info.shape)) vs \(Shape.describe(other.shape))"))
                continue
            }
            let left = try a.read(info.name).doubleValues
            let right = try b.read(info.name).doubleValues
            var maxAbs = 0.0, maxRel = 0.0, mismatched = 0
            var firstMismatch: Int?
            for index in 0..<min(left.count, right.count) {
                let x = left[index], y = right[index]
                if x.isNaN && y.isNaN { continue }
                if x == y { continue }
                let difference = (x - y).magnitude
                let relative = y == 0 ? Double.infinity : difference / y.magnitude
                if !difference.isNaN {
                    maxAbs = max(maxAbs, difference)
                    maxRel = max(maxRel, relative)
                }
                if !(difference <= atol + rtol * y.magnitude) {
                    mismatched += 1
                    if firstMismatch == nil { firstMismatch = index }
                }
            }
            let dtypeNote = info.dtype == other.dtype ? nil : "\(info.dtype.rawValue) vs \(other.dtype.rawValue)"
            let status = mismatched > 0 ? "values" : (dtypeNote != nil && atol == 0 && rtol == 0 ? "dtype" : "equal")
            entries.append(Entry(name: info.name, status: status, detail: dtypeNote, maxAbsDiff: maxAbs, maxRelDiff: maxRel,
                                 mismatched: mismatched, firstMismatch: firstMismatch))
        }
        return TensorComparison(atol: atol, rtol: rtol,
                                onlyInFirst: a.tensors.map(\.name).filter { !namesB.contains($0) },
                                onlyInSecond: b.tensors.map(\.name).filter { !namesA.contains($0) },
                                entries: entries)
    }

    func table(first: String, second: String, basis: String) -> String {
        var text = ""
        for name in onlyInFirst { text += "only in \(first): \(name)\n" }
        for name in onlyInSecond { text += "only in \(second): \(name)\n" }
        let differing = entries.filter { $0.status != "equal" }
        if !differing.isEmpty {
            var rows = [["NAME", "DIFFERENCE", "MISMATCHED", "MAX ABS", "MAX REL", "FIRST AT"]]
            for entry in differing {
                rows.append([entry.name, entry.status + (entry.detail.map { " (\($0))" } ?? ""),
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

    func jsonText(first: String, second: String, basis: String) throws -> String {
        struct Document: Encodable {
            var first: String, second: String, basis: String, equal: Bool, atol: Double, rtol: Double
            var onlyInFirst: [String], onlyInSecond: [String], tensors: [Entry]
            enum CodingKeys: String, CodingKey {
                case first, second, basis, equal, atol, rtol, tensors
                case onlyInFirst = "only_in_first", onlyInSecond = "only_in_second"
            }
        }
        let document = Document(first: first, second: second, basis: basis, equal: isEqual, atol: atol, rtol: rtol,
                                onlyInFirst: onlyInFirst, onlyInSecond: onlyInSecond, tensors: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
