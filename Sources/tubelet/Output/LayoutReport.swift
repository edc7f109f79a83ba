import Porting
import TensorIO

/// The layout `inspect` found, and the architecture it implies; or, when no layout fits,
/// the closest candidate and what it lacked. Never an error: any file can be inspected.
///
/// JSON: `{"name", "prefix", "architecture": {patch_size, channels, grid, image_size, width,
/// depth, heads, mlp_width, classifier, has_pre_logits, classes}, "values", "summary", "outside"}`
/// when a layout fits (`architecture` null for a ViViT, whose `vivit` is a ``ViViTArchitecture``,
/// null for an image ViT; `heads` null when nothing says; `values`: `heads`, `activation`,
/// `layer_norm_eps`, each `{"value", "origin", "assumed"}` with a null value and origin when
/// unknown; `outside`: tensors outside the prefix, such as optimizer state);
/// `{"name": null, "closest", "score", "missing", "unexpected", "shape_problems"}` when none does.
struct LayoutReport: Encodable {
    var name: String?
    var prefix: String?
    var architecture: ViTArchitecture?
    var vivit: ViViTArchitecture?
    var values: ModelValues?
    var summary: String?
    /// Tensors outside the layout's prefix (a training checkpoint's optimizer state).
    var outside: [String]?
    var closest: String?
    var score: Double?
    var missing: [String]?
    var unexpected: [String]?
    var shapeProblems: [String]?
    /// The text for the table.
    var line: String

    /// The model values of a matched model are the pipeline's (it throws when a given head
    /// count contradicts the stored one: that is an error even here).
    static func describe(_ source: any TensorSource, path: String, pipeline: Pipeline) throws -> LayoutReport {
        guard let best = pipeline.detector(for: path).best(source.tensors) else {
            return LayoutReport(line: "layout: none (no layouts loaded)")
        }
        if best.isFull {
            // After the exact rewrites, which a LayerScale or position-less CLS model needs.
            let canonical = (try? RewrittenSource(CanonicalSource(source, match: best)))?.tensors ?? best.canonicalTensors
            var architecture: ViTArchitecture?
            var vivit: ViViTArchitecture?
            var unknown: String?  // why there is no architecture
            do {
                if ViViTArchitecture.isViViT(canonical) {
                    let clip = ViViTArchitecture.Clip(SourceConfig.find(for: path))
                    vivit = try ViViTArchitecture.infer(canonical, file: source.path, heads: best.headCount, clip: clip)
                } else {
                    architecture = try ViTArchitecture.infer(canonical, file: source.path, heads: best.headCount)
                }
            } catch {
                unknown = CommandLineNames.render(error.reasonText)
            }
            let summary = architecture?.summary ?? vivit?.summary
            let modelValues = try pipeline.values(for: best, path: path)
            var line = "layout: \(best.layoutDescription)" + (summary.map { " — \($0)" } ?? unknown.map { " — no architecture: \($0)" } ?? "")
            if !best.outside.isEmpty {
                line += "; \(best.outside.count) tensors outside '\(best.prefix)' are not part of the model (\(best.outside.prefix(3).joined(separator: ", "))\(best.outside.count > 3 ? ", …" : ""))"
            }
            line += "\nmodel values: " + modelValues.line
            return LayoutReport(name: best.schema.name, prefix: best.prefix, architecture: architecture, vivit: vivit, values: modelValues,
                                summary: summary, outside: best.outside, line: line)
        }
        return LayoutReport(closest: best.layoutDescription, score: best.score, missing: best.missing,
                            unexpected: best.unexpected, shapeProblems: best.shapeProblems,
                            line: "layout: none fits; \(StructuralRefusal.recognise(source.tensors)?.message ?? LayoutDetector.explain(best))")
    }

    enum CodingKeys: String, CodingKey {
        case name, prefix, architecture, vivit, values, summary, outside, closest, score, missing, unexpected
        case shapeProblems = "shape_problems"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        if name != nil {
            try container.encode(prefix, forKey: .prefix)
            try container.encode(architecture, forKey: .architecture)
            try container.encode(vivit, forKey: .vivit)
            try container.encode(values, forKey: .values)
            try container.encode(summary, forKey: .summary)
            try container.encode(outside ?? [], forKey: .outside)
        } else {
            try container.encode(closest, forKey: .closest)
            try container.encode(score, forKey: .score)
            try container.encode(missing, forKey: .missing)
            try container.encode(unexpected, forKey: .unexpected)
            try container.encode(shapeProblems, forKey: .shapeProblems)
        }
    }
}
