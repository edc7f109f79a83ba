import TensorIO

/// The whole port as a library: recognise a checkpoint's layout and model, view it under
/// canonical names, convert it into another layout, inflate it into a ViViT, compare two.
///
/// A pipeline holds what every step shares: the layouts it knows, how it reads files, and the
/// model values the caller gives. Each step returns a value whose notes say what the caller
/// should know (``PipelineNote``); nothing is printed, and errors name settings as values
/// (``Setting``), never as a program's flags.
///
/// ```swift
/// let pipeline = try Pipeline()
/// let vit = try pipeline.open("ViT-B_16.npz")
/// print(vit.match.layoutDescription, try vit.architecture().summary)
/// ```
public struct Pipeline: Sendable {
    /// The layouts detection tries and conversions write.
    public var library: SchemaLibrary
    /// How input files are read (safety limits, bfloat16 spelled as `V2`).
    public var readOptions: ReadOptions
    /// Model values given by the caller.
    public var overrides: ModelOverrides
    /// How settings are named in text the pipeline writes into output files (the provenance
    /// report an HDF5 output carries): the Swift API's names by default.
    public var settingNames: @Sendable (Setting) -> String

    public init(library: SchemaLibrary? = nil, readOptions: ReadOptions = ReadOptions(), overrides: ModelOverrides = ModelOverrides(),
                settingNames: @escaping @Sendable (Setting) -> String = \.rawValue) throws(CheckpointError) {
        if let invalid = overrides.invalidOption {
            throw CheckpointError(.invalidRequest, file: "<options>", invalid)
        }
        if let library {
            self.library = library
        } else {
            self.library = try SchemaLibrary.builtin()
        }
        self.readOptions = readOptions
        self.overrides = overrides
        self.settingNames = settingNames
    }

    /// Opens the checkpoint at `path` (any readable format) and recognises its layout.
    /// - Parameter layout: the layout to read it in, when detection should not choose it.
    public func open(_ path: String, layout: String? = nil) throws(CheckpointError) -> RecognisedCheckpoint {
        try recognise(Checkpoint.open(path, options: readOptions), path: path, layout: layout)
    }

    /// Recognises the layout and model values of an opened `source`.
    /// - Parameters:
    ///   - path: the path it was opened as (a model directory's, where `source.path` is the
    ///     weights file inside): where a `config.json` is looked for, and the file errors name.
    ///   - layout: the layout to read it in, when detection should not choose it; an error
    ///     when it does not fit every tensor.
    public func recognise(_ source: any TensorSource, path: String? = nil, layout: String? = nil) throws(CheckpointError) -> RecognisedCheckpoint {
        let path = path ?? source.path
        let match = try sourceLayout(source, path: path, named: layout)
        return RecognisedCheckpoint(source: source, path: path, match: match, values: try values(for: match, path: path), pipeline: self)
    }

    /// The detector for the weights at `path`: the given head count, else the one a
    /// `config.json` beside them gives (Hugging Face's or timm's), else what the layout stores
    /// or the standard table settles; never a guess.
    public func detector(for path: String) -> LayoutDetector {
        LayoutDetector(library: library, heads: overrides.heads.map { Sourced($0, .given) } ?? SourceConfig.find(for: path)?.heads)
    }

    /// The detected layout of `source` (opened as `path`), or the named one if it fits every
    /// tensor.
    public func sourceLayout(_ source: any TensorSource, path: String, named name: String?) throws(CheckpointError) -> LayoutMatch {
        let detector = detector(for: path)
        guard let name else { return try detector.detect(source) }
        let schema = try library.schema(named: name)
        let candidates = detector.rank(source.tensors).filter { $0.schema.name == schema.name }
        if let fit = candidates.first(where: \.isFull) { return fit }
        // What the file is, when detection can tell: the likeliest fix is to name that layout.
        let detected = (try? detector.detect(source)).map { $0.schema.name }
        let fix: SettingText? = detected.map { "It is \($0): drop \(setting: .sourceLayout), or pass \(setting: .sourceLayout) \($0)" }
        guard let closest = candidates.first else {
            throw CheckpointError(.unsupported, file: source.path, "the \(name) layout does not fit", fix: fix)
        }
        let explained = Int((closest.score * 100).rounded(.down))
        throw CheckpointError(.unsupported, file: source.path,
            "the \(name) layout does not fit: it explains \(explained)% of the tensors (\(LayoutDetector.shortfall(closest)))", fix: fix)
    }

    /// The head count, activation and epsilon of the model `match` found in `path`, each with
    /// its origin; an error when a head count given from outside the tensors contradicts the
    /// one they store, or when a config.json beside them describes another model.
    public func values(for match: LayoutMatch, path: String) throws(CheckpointError) -> ModelValues {
        if let contradicted = match.contradictedHeads, let stored = match.heads {
            if contradicted.origin == .given {
                throw CheckpointError(.invalidRequest, file: path,
                    "\(setting: .heads) \(contradicted.value) contradicts the \(stored) heads the \(match.schema.name) layout stores in the weights",
                    fix: "Drop \(setting: .heads), or pass \(setting: .heads) \(stored)")
            }
            throw CheckpointError(.invalidRequest, file: path,
                "\(contradicted.origin.description) says \(contradicted.value) heads, which contradicts the \(stored) heads the \(match.schema.name) layout stores in the weights",
                fix: "Correct or remove the config file, or pass \(setting: .heads) \(stored)")
        }
        let config = SourceConfig.find(for: path)
        if let config { try Self.requireSameModel(config, match, path: path) }
        return ModelValues.resolve(match, config: config, activation: overrides.activation, layerNormEpsilon: overrides.layerNormEpsilon)
    }

    /// A config.json that describes another model (another width or depth than the weights')
    /// is no evidence for these weights: an error, not a source of head counts.
    static func requireSameModel(_ config: SourceConfig, _ match: LayoutMatch, path: String) throws(CheckpointError) {
        let width = match.canonicalTensors.first { $0.name == "embedding/kernel" }?.shape.last
        for (stated, actual, what) in [(config.width, width, "wide"), (config.depth, match.depth, "blocks deep")] {
            guard let stated, let actual, stated.value != actual else { continue }
            throw CheckpointError(.invalidRequest, file: path,
                "\(stated.origin.basis) describes a model \(stated.value) \(what), but the weights are \(actual) \(what): it is another model's config",
                fix: "Correct or move the config file, or pass \(setting: .heads) (and \(setting: .activation), \(setting: .layerNormEpsilon)) for these weights")
        }
    }
}
