import TensorIO

/// Tensors left out of a layout conversion on purpose: by name patterns (canonical names or
/// the file's own), and the image head where the caller asks to drop it.
///
/// Nothing is dropped silently: the result lists every tensor left out, by canonical and file
/// name, for the summary and the output's metadata.
public struct TensorExclusion: Sendable {
    /// Name patterns; a canonical tensor is left out when one matches its canonical name or any
    /// of the file tensors it is made from.
    public var patterns: [String]
    /// Leave out the classifier, and `pre_logits` where the target has no place for it (a
    /// backbone layout such as keras-hub's, or Hugging Face's ViTForImageClassification).
    public var dropHead: Bool
    /// How a pattern matches a name (shell globs on the command line).
    public var matches: @Sendable (_ pattern: String, _ name: String) -> Bool
    /// Why the classifier is left out, as the summary and metadata say it.
    public var headReason = "the image classifier (drop head)"

    public init(patterns: [String] = [], dropHead: Bool = false,
                matches: @escaping @Sendable (_ pattern: String, _ name: String) -> Bool) {
        self.patterns = patterns
        self.dropHead = dropHead
        self.matches = matches
    }

    public var isEmpty: Bool { patterns.isEmpty && !dropHead }

    /// One tensor left out: its canonical name, the file tensors behind it, and why.
    public struct LeftOut: Sendable, Equatable {
        public var canonical: String
        public var fileTensors: [String]
        public var reason: String

        public init(canonical: String, fileTensors: [String], reason: String) {
            self.canonical = canonical
            self.fileTensors = fileTensors
            self.reason = reason
        }
    }

    /// The canonical tensors of `source` to leave out when writing in `target`'s layout.
    public func leftOut(_ source: any CanonicalProvenance, target: LayoutSchema) -> [LeftOut] {
        var result: [LeftOut] = []
        for info in source.tensors {
            let files = source.fileTensors(for: info.name) ?? []
            if dropHead && Self.isClassifier(info.name) {
                result.append(LeftOut(canonical: info.name, fileTensors: files, reason: headReason))
            } else if dropHead && info.name.hasPrefix("pre_logits/") && !target.places(info.name) {
                result.append(LeftOut(canonical: info.name, fileTensors: files,
                                      reason: "pre_logits, which the \(target.name) layout has no place for (drop head)"))
            } else if let pattern = patterns.first(where: { pattern in ([info.name] + files).contains { matches(pattern, $0) } }) {
                result.append(LeftOut(canonical: info.name, fileTensors: files, reason: "excluded by '\(pattern)'"))
            }
        }
        return result
    }

    /// The canonical image classifier.
    static func isClassifier(_ canonical: String) -> Bool {
        canonical.hasPrefix("output_projection/")
    }
}
