import TensorIO

/// Finds the layout of a file by fitting every schema (with each of its prefixes) to the
/// file's names and shapes.
public struct LayoutDetector: Sendable {
    public let library: SchemaLibrary
    /// The number of attention heads, for layouts that do not store it, with where it came
    /// from (a config file beside the weights, or the caller).
    public var heads: Sourced<Int>?

    public init(library: SchemaLibrary, heads: Sourced<Int>? = nil) {
        self.library = library
        self.heads = heads
    }

    /// A detector with a head count the caller gives.
    public init(library: SchemaLibrary, heads: Int) {
        self.init(library: library, heads: Sourced(heads, .given))
    }

    /// Every candidate, best first.
    public func rank(_ tensors: [TensorInfo]) -> [LayoutMatch] {
        var matches: [LayoutMatch] = []
        forEachCandidate(tensors) { matcher, names in matches.append(matcher.match(tensors, names)) }
        return matches.sorted(by: Self.ranksBefore)
    }

    /// The best candidate, `rank(tensors).first`, without fitting every layout in full when
    /// one fits: a layout that lacks a tensor it requires cannot fit, so it is fitted only
    /// when no layout does (and the closest one is wanted). `inspect` needs no more.
    public func best(_ tensors: [TensorInfo]) -> LayoutMatch? {
        var fits: [LayoutMatch] = []
        forEachCandidate(tensors) { matcher, names in
            guard matcher.mayFit(names) else { return }
            let match = matcher.match(tensors, names)
            if match.isFull { fits.append(match) }
        }
        // Full matches rank before all others, so the first of them is the first overall.
        return fits.isEmpty ? rank(tensors).first : fits.sorted(by: Self.ranksBefore).first
    }

    /// Calls `body` with a matcher for every schema and prefix, in the library's order, and
    /// the file's names as that prefix sees them (indexed once per prefix).
    private func forEachCandidate(_ tensors: [TensorInfo], _ body: (LayoutMatcher, LayoutMatcher.Names) -> Void) {
        var namesByPrefix: [String: LayoutMatcher.Names] = [:]
        for schema in library.schemas {
            for prefix in schema.prefixOptions {
                let names = namesByPrefix[prefix] ?? LayoutMatcher.Names(tensors, prefix: prefix)
                namesByPrefix[prefix] = names
                body(LayoutMatcher(schema: schema, prefix: prefix, heads: heads), names)
            }
        }
    }

    /// The ranking: full matches first, then by score, fewer tensors outside the prefix, more
    /// bindings.
    static func ranksBefore(_ a: LayoutMatch, _ b: LayoutMatch) -> Bool {
        if a.isFull != b.isFull { return a.isFull }
        if a.score != b.score { return a.score > b.score }
        if a.outside.count != b.outside.count { return a.outside.count < b.outside.count }
        return a.bindings.count > b.bindings.count
    }

    /// The layout that explains every tensor of `source`, or an error naming the closest
    /// candidate and what it missed or did not expect.
    public func detect(_ source: any TensorSource) throws(CheckpointError) -> LayoutMatch {
        // The best candidate is the closest one when none fits.
        guard let closest = best(source.tensors) else {
            throw CheckpointError(.unsupported, file: source.path, "no layouts are loaded")
        }
        if closest.isFull { return closest }
        if let problem = closest.headsProblem, closest.missing.isEmpty, closest.unclaimed.isEmpty {
            throw CheckpointError(.invalidRequest, file: source.path, "a \(closest.layoutDescription) ViT, but \(problem)",
                fix: SettingText.headCountFix)
        }
        if let refusal = StructuralRefusal.recognise(source.tensors) {
            // A known structure that no ViViT has says more than the closest layout's score.
            throw CheckpointError(.unsupported, file: source.path, tensor: refusal.tensors.first, refusal.message, fix: refusal.fix)
        }
        throw CheckpointError(.unsupported, file: source.path, "no known layout fits this file; \(Self.explain(closest))",
            fix: "Describe the layout in a schema file and pass it with \(setting: .schemaFile) (see Schemas/README.md)")
    }

    /// "closest: timm (80% of tensors): missing blocks.3.norm1.weight, …; unexpected …".
    public static func explain(_ match: LayoutMatch) -> String {
        if match.bindings.isEmpty {
            // Naming a "closest" layout that explains nothing would only mislead.
            return "no known layout explains any of its tensors"
        }
        return "the closest is \(match.layoutDescription), which explains \(Int((match.score * 100).rounded(.down)))% of it; "
            + shortfall(match)
    }

    /// What `match` lacks: the tensors it misses, those it does not expect, the wrong shapes.
    public static func shortfall(_ match: LayoutMatch) -> String {
        func list(_ names: [String]) -> String {
            names.prefix(6).joined(separator: ", ") + (names.count > 6 ? ", … (\(names.count) in all)" : "")
        }
        var parts: [String] = []
        if !match.missing.isEmpty { parts.append("missing \(list(match.missing))") }
        if !match.unexpected.isEmpty { parts.append("not expected \(list(match.unexpected))") }
        if !match.shapeProblems.isEmpty { parts.append("shapes: \(list(match.shapeProblems))") }
        return parts.joined(separator: "; ")
    }
}
