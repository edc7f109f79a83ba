import FoundationEssentials
import TensorIO

/// A checkpoint layout as data: how one family's tensor names and layouts map to Tubelet's
/// canonical names (scenic's Flax tree) and back.
///
/// Loaded from JSON (see `Schemas/README.md` for the format). A schema never touches bytes;
/// its transforms are a fixed vocabulary (``TransformStep``) whose inverses are derived, so
/// one schema serves reading and writing.
public struct LayoutSchema: Codable, Sendable, Equatable {
    /// Short identifier that names the layout (`timm`), as a conversion target or source.
    public var name: String
    /// One line for people: what writes files in this layout.
    public var title: String
    /// The MLP activation of models in this family, carried into outputs that name it.
    public var activation: String?
    /// The LayerNorm epsilon of models in this family (Flax and timm 1e-6, Hugging Face's
    /// ViTConfig 1e-12), for outputs whose config records it; it is not stored in the weights.
    public var layerNormEpsilon: Double?
    /// The transformers class that loads files in this layout with no missing or unexpected
    /// keys, for layouts that can be written as a Hugging Face model directory.
    public var huggingFaceClass: HuggingFaceClass?
    /// Prefixes a file may put before every name (`module.`, `opt/target/`); the first is
    /// used when writing. An empty list means no prefix.
    public var prefixes: [String]?
    /// The mapping, in the order tensors are written.
    public var tensors: [TensorRule]
    /// For layouts of tf.keras weight files (Keras 2 HDF5), the model's layers with weights,
    /// in the model's order, `{i}` for the blocks: every tensor name is a layer's name, `/`,
    /// and the weight's own name, which is how Keras stores weights. Writing lists them as
    /// Keras does (the `layer_names` of the file, each layer's `weight_names` in rule order),
    /// since tf.keras `load_weights` pairs layers and weights by those lists, not by paths.
    public var kerasLayers: [String]?

    /// The keys of the format, snake_case like every JSON document Tubelet writes. Schema
    /// files written before that spelled three of them in camelCase (`layerNormEpsilon`,
    /// `huggingFaceClass`, `kerasLayers`); those spellings are still read (``LegacyKeys``), so
    /// existing user schemas keep working.
    enum CodingKeys: String, CodingKey {
        case name, title, activation, prefixes, tensors
        case layerNormEpsilon = "layer_norm_eps", huggingFaceClass = "hugging_face_class", kerasLayers = "keras_layers"
        case formatVersion = "format_version"
    }

    /// The camelCase spellings of format version 1's first files.
    enum LegacyKeys: String, CodingKey {
        case layerNormEpsilon, huggingFaceClass, kerasLayers
    }

    /// The newest format version this Tubelet reads (``DocumentHeader/layout``).
    static let formatVersion = DocumentHeader.layout.formatVersion

    public init(name: String, title: String, activation: String? = nil, layerNormEpsilon: Double? = nil,
                huggingFaceClass: HuggingFaceClass? = nil, prefixes: [String]? = nil, tensors: [TensorRule],
                kerasLayers: [String]? = nil) {
        self.name = name
        self.title = title
        self.activation = activation
        self.layerNormEpsilon = layerNormEpsilon
        self.huggingFaceClass = huggingFaceClass
        self.prefixes = prefixes
        self.tensors = tensors
        self.kerasLayers = kerasLayers
    }

    /// Reads either spelling of a renamed key (both at once is refused: which one is meant?),
    /// and refuses a file of a newer format version than this Tubelet knows.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let legacy = try decoder.container(keyedBy: LegacyKeys.self)
        if let version = try container.decodeIfPresent(Int.self, forKey: .formatVersion), version > Self.formatVersion {
            throw DecodingError.dataCorruptedError(forKey: .formatVersion, in: container,
                debugDescription: "format_version \(version) is newer than this Tubelet reads (\(Self.formatVersion)); update Tubelet")
        }
        func either<Value: Decodable>(_ key: CodingKeys, _ old: LegacyKeys, as type: Value.Type) throws -> Value? {
            if container.contains(key) && legacy.contains(old) {
                throw DecodingError.dataCorruptedError(forKey: key, in: container,
                    debugDescription: "both '\(key.rawValue)' and its old spelling '\(old.rawValue)' are given; keep '\(key.rawValue)'")
            }
            return try container.decodeIfPresent(type, forKey: key) ?? legacy.decodeIfPresent(type, forKey: old)
        }
        name = try container.decode(String.self, forKey: .name)
        title = try container.decode(String.self, forKey: .title)
        activation = try container.decodeIfPresent(String.self, forKey: .activation)
        layerNormEpsilon = try either(.layerNormEpsilon, .layerNormEpsilon, as: Double.self)
        huggingFaceClass = try either(.huggingFaceClass, .huggingFaceClass, as: HuggingFaceClass.self)
        prefixes = try container.decodeIfPresent([String].self, forKey: .prefixes)
        tensors = try container.decode([TensorRule].self, forKey: .tensors)
        kerasLayers = try either(.kerasLayers, .kerasLayers, as: [String].self)
    }

    /// Written with the ``DocumentHeader`` (`tubelet.layout`), which reading accepts, so the
    /// output of `tubelet schemas NAME` is a `--schema` file as it stands.
    public func encode(to encoder: any Encoder) throws {
        try DocumentHeader.layout.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(title, forKey: .title)
        try container.encodeIfPresent(activation, forKey: .activation)
        try container.encodeIfPresent(layerNormEpsilon, forKey: .layerNormEpsilon)
        try container.encodeIfPresent(huggingFaceClass, forKey: .huggingFaceClass)
        try container.encodeIfPresent(prefixes, forKey: .prefixes)
        try container.encode(tensors, forKey: .tensors)
        try container.encodeIfPresent(kerasLayers, forKey: .kerasLayers)
    }

    /// The prefixes to try, with "no prefix" when none are given.
    public var prefixOptions: [String] {
        let list = prefixes ?? []
        return list.isEmpty ? [""] : list
    }

    /// Whether files in this layout say how many attention heads there are (q/k/v kernels
    /// `[D, H, hd]`). Layouts that store attention as `[D, D]` split heads when read, so the
    /// number comes from a config beside them, the caller, or the standard table.
    public var storesHeadCount: Bool {
        !tensors.contains { rule in rule.transform.contains { if case .splitHeads = $0 { true } else { false } } }
    }

    /// Whether some rule of this layout writes the canonical tensor `canonical`.
    public func places(_ canonical: String) -> Bool {
        tensors.contains { rule in
            rule.targets.contains { $0.isPerBlock ? $0.match(canonical) != nil : $0.text == canonical }
        }
    }

    /// The Keras layer holding the tensor `name` (a rule's name): the longest of
    /// ``kerasLayers`` that `name` starts with, followed by `/`. Nil when the schema lists no
    /// Keras layers or none holds the name.
    func kerasLayer(of name: NamePattern) -> NamePattern? {
        guard let kerasLayers else { return nil }
        return kerasLayers.filter { name.text.count > $0.count + 1 && name.text.hasPrefix($0 + "/") }
            .max { $0.count < $1.count }.map(NamePattern.init)
    }

    /// Decodes and checks a schema.
    public static func decode(_ data: Data, source: String) throws(CheckpointError) -> LayoutSchema {
        let schema: LayoutSchema
        do {
            schema = try JSONDecoder().decode(LayoutSchema.self, from: data)
        } catch {
            if let syntax = JSONSyntaxError.find(in: [UInt8](data)) {
                throw CheckpointError(.malformed, file: source, "not valid JSON at \(syntax)",
                    fix: "Fix the JSON there; Schemas/README.md describes the format")
            }
            throw CheckpointError(.malformed, file: source, "not a valid layout schema: \(SchemaDecodingText.describe(error))",
                fix: "See Schemas/README.md for the format")
        }
        try schema.validate(source: source)
        return schema
    }

    /// Checks what JSON decoding cannot: patterns and transforms that fit together.
    func validate(source: String) throws(CheckpointError) {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw CheckpointError(.malformed, file: source, "schema name '\(name)' must be letters, digits, '-', '_' or '.'")
        }
        if let layerNormEpsilon, !(layerNormEpsilon.isFinite && layerNormEpsilon > 0) {
            throw CheckpointError(.malformed, file: source, "layer_norm_eps of schema '\(name)' must be a positive number")
        }
        if let kerasLayers {
            guard !kerasLayers.isEmpty, Set(kerasLayers).count == kerasLayers.count,
                  kerasLayers.allSatisfy({ !$0.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty || $0 == "." } }) else {
                throw CheckpointError(.malformed, file: source,
                    "keras_layers of schema '\(name)' must be distinct layer names, each of non-empty '/'-separated parts, none '.'")
            }
            for rule in tensors {
                for pattern in rule.sources where kerasLayer(of: pattern) == nil {
                    throw CheckpointError(.malformed, file: source, tensor: pattern.text,
                        "schema '\(name)' lists keras_layers, but this name is in none of them (a Keras weight is named '<layer>/<weight>')")
                }
            }
        }
        for rule in tensors {
            do {
                try rule.validate()
            } catch {
                throw CheckpointError(.malformed, file: source, tensor: rule.sources.map(\.text).joined(separator: ", "),
                    "invalid rule in schema '\(name)': \(error.reason)")
            }
        }
    }
}

/// Readable text for JSON decoding errors, which Foundation describes verbosely.
enum SchemaDecodingText {
    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing key '\(key.stringValue)' at \(path(context.codingPath))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(context.debugDescription) at \(path(context.codingPath))"
        case DecodingError.dataCorrupted(let context):
            return "\(context.debugDescription) at \(path(context.codingPath))"
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
