import Porting
import TensorIO

/// The layout `inspect` found, and the architecture it implies; or, when no layout fits,
/// the closest candidate and what it lacked. Never an error: any file can be inspected.
///
/// JSON: `{"name", "prefix", "architecture": {patchSize, channels, grid, imageSize, width,
/// depth, heads, mlpWidth, classifier, hasPreLogits, classes}, "summary"}` when a layout fits;
/// `{"name": null, "closest", "score", "missing", "unexpected", "shapeProblems"}` when none does.
struct LayoutReport: Encodable {
    var name: String?
    var prefix: String?
    var architecture: ViTArchitecture?
    var summary: String?
    var closest: String?
    var score: Double?
    var missing: [String]?
    var unexpected: [String]?
    var shapeProblems: [String]?
    /// The text for the table.
    var line: String

    static func describe(_ source: any TensorSource, detector: LayoutDetector) -> LayoutReport {
        let ranked = detector.rank(source.tensors)
        guard let best = ranked.first else {
            return LayoutReport(line: "layout: none (no layouts loaded)")
        }
        if best.isFull {
            let architecture = try? ViTArchitecture.infer(best.canonicalTensors, file: source.path)
            let summary = architecture?.summary
            return LayoutReport(name: best.schema.name, prefix: best.prefix, architecture: architecture, summary: summary,
                                line: "layout: \(best.layoutDescription)" + (summary.map { " — \($0)" } ?? ""))
        }
        return LayoutReport(closest: best.layoutDescription, score: best.score, missing: best.missing,
                            unexpected: best.unexpected, shapeProblems: best.shapeProblems,
                            line: "layout: none fits; \(LayoutDetector.explain(best))")
    }

    enum CodingKeys: String, CodingKey {
        case name, prefix, architecture, summary, closest, score, missing, unexpected
        case shapeProblems = "shape_problems"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        if name != nil {
            try container.encode(prefix, forKey: .prefix)
            try container.encode(architecture, forKey: .architecture)
            try container.encode(summary, forKey: .summary)
        } else {
            try container.encode(closest, forKey: .closest)
            try container.encode(score, forKey: .score)
            try container.encode(missing, forKey: .missing)
            try container.encode(unexpected, forKey: .unexpected)
            try container.encode(shapeProblems, forKey: .shapeProblems)
        }
    }
}
