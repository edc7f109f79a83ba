import FoundationEssentials
import TensorIO

/// Where every output tensor came from, and why each input tensor left out was left out.
///
/// Nothing is silent: a partial load is the most common failure users of other tools hit.
/// JSON (the report file, and the `tubelet.report` attribute of HDF5 output): the
/// ``DocumentHeader`` (`tubelet.report`), `{"source", "layout", "model", "options" (``Settings``:
/// every option the inflation ran with, defaults resolved, none that does not apply to the
/// model), "values": {heads, activation, layer_norm_eps: {value, origin, assumed}}, "outputs":
/// [{name, canonical, shape, dtype, origin, from, file_tensors, method, seed}], "dropped":
/// [{name, file_tensors, reason}], "rewrites": [{method, tensors, file_tensors, detail}]}`.
/// An output's `name` is the one it has in the written file (a Hugging Face name in an `hf`
/// directory), `canonical` Tubelet's canonical name for it (``named(by:)``). `rewrites` lists
/// the exact rewrites (``ExactRewrite``) that put the ViT into the form a ViViT holds
/// (LayerScale folded, a zero CLS position, zero biases). `origin` is an ``Origin``. Settings a
/// method or reason names are written as `naming` names them (``jsonText(naming:)``). The
/// format: `Docs/json-schema/tubelet.report.schema.json`.
public struct PortReport: Encodable, Sendable {
    /// How an output tensor was made.
    public enum Origin: String, Codable, Sendable, CaseIterable {
        case copied, inflated, tiled, resized
        case resizedTiled = "resized+tiled"
        case initialised
    }

    /// How an initialised tensor was made: the initialiser and why it was chosen.
    public struct Initialisation: Sendable, Equatable {
        /// The initialiser as the report names it ("zeros", "normal(stddev 0.02)").
        public var initialiser: String
        public var reason: SettingText
    }

    public struct Output: Encodable, Sendable, Equatable {
        /// The name in the written file: canonical until ``PortReport/named(by:)`` renames it.
        public var name: String
        public var shape: [Int]
        public var dtype: DType
        public var origin: Origin
        /// Canonical ViT tensors it was made from.
        public var from: [String]?
        /// The input file's own tensors behind `from`.
        public var fileTensors: [String]?
        /// How it was made, for a tensor made from the ViT's.
        public var methodText: SettingText?
        /// The initialiser and its reason, for an initialised tensor.
        public var initialisation: Initialisation?
        public var seed: UInt64?
        /// The canonical name, when the written file names the tensor otherwise.
        public var canonicalName: String? = nil

        /// Tubelet's canonical name for the tensor.
        public var canonical: String { canonicalName ?? name }

        /// "name (canonical)" for people when the two differ, else the name.
        public var label: String { canonicalName.map { "\(name) (\($0))" } ?? name }

        /// How it was made, in one line: the method, or "initialiser: reason".
        public var method: String? { methodLine?.description }

        var methodLine: SettingText? {
            initialisation.map { "\($0.initialiser): \($0.reason)" } ?? methodText
        }

        enum CodingKeys: String, CodingKey {
            case name, canonical, shape, dtype, origin, from, method, seed
            case fileTensors = "file_tensors"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(canonical, forKey: .canonical)
            try container.encode(shape, forKey: .shape)
            try container.encode(dtype.rawValue, forKey: .dtype)
            try container.encode(origin, forKey: .origin)
            try container.encodeIfPresent(from, forKey: .from)
            try container.encodeIfPresent(fileTensors, forKey: .fileTensors)
            try container.encodeIfPresent(methodLine.map { SettingNames.render($0, for: encoder) }, forKey: .method)
            try container.encodeIfPresent(seed, forKey: .seed)
        }
    }

    public struct Dropped: Encodable, Sendable, Equatable {
        public var name: String
        public var fileTensors: [String]?
        public var reasonText: SettingText

        public init(name: String, fileTensors: [String]?, reason: SettingText) {
            self.name = name
            self.fileTensors = fileTensors
            self.reasonText = reason
        }

        /// Why it was left out, settings named as the Swift API names them.
        public var reason: String { reasonText.description }

        enum CodingKeys: String, CodingKey {
            case name, reason
            case fileTensors = "file_tensors"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encodeIfPresent(fileTensors, forKey: .fileTensors)
            try container.encode(SettingNames.render(reasonText, for: encoder), forKey: .reason)
        }
    }

    /// Every option an inflation ran with, its defaults resolved (the tubelet and image size
    /// the ViT implied, the positional-embedding method the grids called for, the classifier,
    /// the output dtype), and only those that apply to the model: `temporal_layers` and
    /// `copy_spatial_cls` for Model 2 only, `temporal_attention` for Model 3 and TimeSformer,
    /// no `kernel_init` or `keep_pre_logits` for TimeSformer. Keys are the options' names.
    public struct Settings: Encodable, Sendable, Equatable {
        public var model: VideoModel
        public var frames: Int
        /// `[t, h, w]`.
        public var tubelet: [Int]
        /// `[height, width]`.
        public var imageSize: [Int]
        public var kernelInflation: KernelInflation?
        public var positionalEmbedding: PositionalEmbeddingMethod
        public var classifier: ViTArchitecture.Classifier
        public var classes: Int?
        public var keepPreLogits: Bool?
        public var temporalLayers: Int?
        public var temporalAttention: TemporalAttentionInit?
        public var copySpatialClassToken: Bool?
        public var seed: UInt64
        /// The dtype of the written tensors (float32 until an output casts them).
        public var dtype: DType

        /// The settings of `options` resolved against the made `geometry`, leaving out those
        /// that do not apply to the model.
        init(_ options: InflationOptions, geometry: ViViTGeometry, positionalEmbedding: PositionalEmbeddingMethod,
             classifier: ViTArchitecture.Classifier) {
            let model = options.model
            self.model = model
            frames = geometry.frames
            tubelet = geometry.tubelet
            imageSize = geometry.imageSize
            kernelInflation = model == .timesformer ? nil : options.kernelInflation
            self.positionalEmbedding = positionalEmbedding
            self.classifier = classifier
            classes = options.classes
            keepPreLogits = model == .timesformer ? nil : options.keepPreLogits
            temporalLayers = model == .factorisedEncoder ? options.temporalLayers : nil
            temporalAttention = model == .factorisedSelfAttention || model == .timesformer ? options.temporalAttention : nil
            copySpatialClassToken = model == .factorisedEncoder ? options.copySpatialClassToken : nil
            seed = options.seed
            dtype = .float32
        }

        enum CodingKeys: String, CodingKey {
            case model, frames, tubelet, classifier, classes, seed, dtype
            case imageSize = "image_size", kernelInflation = "kernel_init", positionalEmbedding = "posemb"
            case keepPreLogits = "keep_pre_logits", temporalLayers = "temporal_layers"
            case temporalAttention = "temporal_attention", copySpatialClassToken = "copy_spatial_cls"
        }

        /// `classes` is null when there is no classifier; options that do not apply are absent.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(model, forKey: .model)
            try container.encode(frames, forKey: .frames)
            try container.encode(tubelet, forKey: .tubelet)
            try container.encode(imageSize, forKey: .imageSize)
            try container.encodeIfPresent(kernelInflation, forKey: .kernelInflation)
            try container.encode(positionalEmbedding, forKey: .positionalEmbedding)
            try container.encode(classifier, forKey: .classifier)
            try container.encode(classes, forKey: .classes)
            try container.encodeIfPresent(keepPreLogits, forKey: .keepPreLogits)
            try container.encodeIfPresent(temporalLayers, forKey: .temporalLayers)
            try container.encodeIfPresent(temporalAttention, forKey: .temporalAttention)
            try container.encodeIfPresent(copySpatialClassToken, forKey: .copySpatialClassToken)
            try container.encode(seed, forKey: .seed)
            try container.encode(dtype.rawValue, forKey: .dtype)
        }
    }

    public var source: String
    public var layout: String
    public var model: String
    /// The options as asked (defaults unresolved); the report states ``settings``.
    public var options: InflationOptions
    /// The options as the inflation ran them.
    public var settings: Settings
    /// The head count, activation and LayerNorm epsilon, each with its origin.
    public var values: ModelValues
    public var outputs: [Output]
    public var dropped: [Dropped]
    /// The exact rewrites made before inflation, each with the tensors involved.
    public var rewrites: [ExactRewrite]

    init(source: String, layout: String, model: String, options: InflationOptions, settings: Settings,
         values: ModelValues = ModelValues(), outputs: [Output], dropped: [Dropped], rewrites: [ExactRewrite] = []) {
        self.source = source
        self.layout = layout
        self.model = model
        self.options = options
        self.settings = settings
        self.values = values
        self.outputs = outputs
        self.dropped = dropped
        self.rewrites = rewrites
    }

    enum CodingKeys: String, CodingKey {
        case source, layout, model, options, values, outputs, dropped, rewrites
    }

    public func encode(to encoder: any Encoder) throws {
        try DocumentHeader.report.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(source, forKey: .source)
        try container.encode(layout, forKey: .layout)
        try container.encode(model, forKey: .model)
        try container.encode(settings, forKey: .options)
        try container.encode(values, forKey: .values)
        try container.encode(outputs, forKey: .outputs)
        try container.encode(dropped, forKey: .dropped)
        try container.encode(rewrites, forKey: .rewrites)
    }

    /// The report of the tensors as an output writes them: each output under the name, shape
    /// and dtype the file gives it (`fileTensors` maps a canonical name to the file's tensors
    /// made from it; several are joined with ", "), its canonical name kept beside it; outputs
    /// `fileTensors` does not name keep their names and take the `dtype` the output casts to.
    public func named(by fileTensors: [String: [TensorInfo]] = [:], dtype: DType? = nil) -> PortReport {
        var report = self
        for index in report.outputs.indices {
            let canonical = report.outputs[index].canonical
            if let infos = fileTensors[canonical], let first = infos.first {
                let names = infos.map(\.name)
                if names != [canonical] {
                    report.outputs[index].name = names.joined(separator: ", ")
                    report.outputs[index].canonicalName = canonical
                }
                report.outputs[index].shape = first.shape
                report.outputs[index].dtype = first.dtype
            } else if let dtype, report.outputs[index].dtype.isFloatingPoint {
                report.outputs[index].dtype = dtype
            }
        }
        if let dtype { report.settings.dtype = dtype }
        return report
    }

    /// The report as sorted, indented JSON, settings named by `naming` (as the Swift API names
    /// them by default).
    public func jsonText(naming: @escaping @Sendable (Setting) -> String = \.rawValue) -> String {
        let encoder = JSONEncoder()
        encoder.userInfo[SettingNames.key] = SettingNames(name: naming)
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// A few lines for people: counts by origin, and what was dropped.
    public var summary: String { summary(naming: \.rawValue) }

    /// ``summary``, settings named by `name`; with `verbose`, every tensor left out or
    /// initialised by name, otherwise runs of more than three for one reason as first … last
    /// (count): an optimizer's moments left out of a TrainState are hundreds of tensors with
    /// one reason.
    public func summary(naming name: (Setting) -> String, verbose: Bool = false) -> String {
        var counts: [Origin: Int] = [:]
        for output in outputs { counts[output.origin, default: 0] += 1 }
        var lines = ["\(outputs.count) tensors: " + Origin.allCases.compactMap { key in counts[key].map { "\($0) \(key.rawValue)" } }.joined(separator: ", ")]
        let assumed = values.assumptions.map { "\($0.name) \($0.value) (\($0.origin.basis))" }
        if !assumed.isEmpty { lines.append("assumed: " + assumed.joined(separator: "; ")) }
        var initialised: [(reason: String, names: [String])] = []
        for output in outputs where output.origin != .copied {
            if output.origin == .initialised {
                // Group by reason: a temporal transformer is dozens of tensors made one way.
                let reason = output.initialisation.map { $0.reason.rendered(name) } ?? ""
                if let index = initialised.firstIndex(where: { $0.reason == reason }) {
                    initialised[index].names.append(output.label)
                } else {
                    initialised.append((reason, [output.label]))
                }
            } else {
                lines.append("  \(output.origin.rawValue) \(output.label) \(Shape.describe(output.shape))" + (output.methodLine.map { ": \($0.rendered(name))" } ?? ""))
            }
        }
        for group in initialised {
            let names = verbose || group.names.count <= 3 ? group.names.joined(separator: ", ")
                : "\(group.names[0]) … \(group.names[group.names.count - 1]) (\(group.names.count) tensors)"
            lines.append("  initialised \(names): \(group.reason)")
        }
        if !rewrites.isEmpty {
            lines.append("\(rewrites.count) exact \(rewrites.count == 1 ? "rewrite" : "rewrites") of the ViT:")
            for rewrite in rewrites { lines.append("  \(rewrite.method) (\(Self.names(rewrite.tensors))): \(rewrite.detail)") }
        }
        if !dropped.isEmpty {
            lines.append("\(dropped.count) input tensors left out:")
            var byReason: [(reason: String, names: [String])] = []
            for entry in dropped {
                let reason = entry.reasonText.rendered(name)
                if !verbose, let index = byReason.firstIndex(where: { $0.reason == reason }) {
                    byReason[index].names.append(entry.name)
                } else {
                    byReason.append((reason, [entry.name]))
                }
            }
            for group in byReason {
                if group.names.count <= 3 {
                    for name in group.names { lines.append("  \(name): \(group.reason)") }
                } else {
                    lines.append("  \(group.names[0]) … \(group.names[group.names.count - 1]) (\(group.names.count) tensors): \(group.reason)")
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A few names, or the first and last of many.
    static func names(_ names: [String]) -> String {
        names.count <= 2 ? names.joined(separator: ", ") : "\(names[0]) … \(names[names.count - 1]), \(names.count) tensors"
    }
}
