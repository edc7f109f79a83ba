import TensorIO

/// A canonical ViT rewritten, with exact arithmetic, into the plain form scenic's ViT (and so
/// every ViViT) has, each rewrite recorded:
///
/// - **LayerScale** (DeiT III, DINOv2): `gamma` folded into the output columns and bias of the
///   attention's output projection and of the MLP's second layer (``LayerScaleFold``).
/// - **CLS token without a position** (timm `no_embed_class`: DeiT III, FlexiViT): the
///   positional embedding holds only the patch grid and the CLS token is added after it, which
///   is a zero position row for the CLS token.
/// - **Missing biases** (`qkv_bias=False`, a patch embedding without bias): zero biases, which
///   add nothing.
/// - **Tensors unused at inference** (DINOv2's `mask_token`): left out, with the reason.
///
/// Structures no rewrite can express exactly (a gated MLP, for one) are refused here with the
/// structure named (``StructuralRefusal``), rather than carried into a model that computes
/// something else.
public final class RewrittenSource: CanonicalProvenance {
    private enum Recipe {
        case base(String)
        case scaled(String, by: String)
        case zeros(DType, [Int])
        case classRowAdded(String)
    }

    public let base: any TensorSource
    public let tensors: [TensorInfo]
    /// The rewrites made, in the order of the tensors they touch.
    public let rewrites: [ExactRewrite]
    /// Input tensors left out, with the reason.
    public let dropped: [PortReport.Dropped]
    private let recipes: [String: Recipe]
    private let extraFileTensors: [String: [String]]

    /// Plans the rewrites of `base` (canonical names, as a ``CanonicalSource`` gives them),
    /// reading no tensor data.
    public init(_ base: any TensorSource) throws(CheckpointError) {
        self.base = base
        let infos = base.tensors
        if let refusal = StructuralRefusal.recognise(canonical: infos) {
            let tensor = refusal.tensors.first.map { (base as? any CanonicalProvenance)?.fileTensors(for: $0)?.first ?? $0 }
            throw CheckpointError(.unsupported, file: base.path, tensor: tensor, refusal.message, fix: refusal.fix)
        }
        var byName: [String: TensorInfo] = [:]
        for info in infos { byName[info.name] = info }
        let provenance = base as? any CanonicalProvenance
        func files(_ name: String) -> [String] { provenance?.fileTensors(for: name) ?? [name] }

        var outputs: [TensorInfo] = []
        var recipes: [String: Recipe] = [:]
        var extraFiles: [String: [String]] = [:]
        var rewrites: [ExactRewrite] = []
        var dropped: [PortReport.Dropped] = []

        // LayerScale: which dense layer each gamma scales.
        var scaleFor: [String: String] = [:]
        var scaledByPattern: [String: (tensors: [String], files: [String])] = [:]
        for info in infos where CanonicalExtension.contains(info.name) && info.name != CanonicalExtension.maskToken {
            let block = String(info.name.dropLast("/LayerScale_0/scale".count))
            let layer = info.name.hasSuffix("/LayerScale_0/scale") ? block + "/MultiHeadDotProductAttention_0/out" : block + "/MlpBlock_0/Dense_1"
            guard let kernel = byName[layer + "/kernel"], info.shape.count == 1, kernel.shape.last == info.shape[0] else {
                throw CheckpointError(.unsupported, file: base.path, tensor: files(info.name).first,
                    "a LayerScale of shape \(Shape.describe(info.shape)) does not fit the layer it scales (\(layer)/kernel \(byName[layer + "/kernel"].map { Shape.describe($0.shape) } ?? "absent"))")
            }
            scaleFor[layer + "/kernel"] = info.name
            scaleFor[layer + "/bias"] = info.name
        }

        // Biases a layer lacks: the same layer must lack it in every block, or the file is
        // more likely damaged than built without biases.
        var missingByPattern: [String: [(name: String, kernel: String)]] = [:]
        var presentPatterns: Set<String> = []
        for info in infos {
            guard let (biasName, _) = Self.bias(of: info) else { continue }
            if byName[biasName] == nil {
                missingByPattern[Self.pattern(biasName), default: []].append((biasName, info.name))
            } else {
                presentPatterns.insert(Self.pattern(biasName))
            }
        }
        if let mixed = missingByPattern.keys.sorted().first(where: presentPatterns.contains), let first = missingByPattern[mixed]?.first {
            throw CheckpointError(.malformed, file: base.path, tensor: files(first.kernel).first,
                "some blocks have \(mixed) and others do not; a model built without this bias has it in no block, so the file looks damaged")
        }

        for info in infos {
            let name = info.name
            if name == CanonicalExtension.maskToken {
                dropped.append(PortReport.Dropped(name: name, fileTensors: files(name),
                    reason: "the mask token replaces masked patches in masked-image-modelling pre-training; inference (and so the ViViT) never reads it"))
                continue
            }
            if CanonicalExtension.contains(name) { continue }  // folded below
            // Only an image ViT: a ViViT's nt·gh·gw positions may be a square by coincidence
            // (1 + 8), and its layouts always hold the CLS position.
            if name == "Transformer/posembed_input/pos_embedding", byName["cls"] != nil, info.shape.count == 3,
               byName["embedding/kernel"]?.shape.count != 5, TransformPipeline.needsClassPosition(info.shape[1]) {
                var shape = info.shape
                shape[1] += 1
                outputs.append(TensorInfo(name: name, dtype: info.dtype, shape: shape))
                recipes[name] = .classRowAdded(name)
                rewrites.append(ExactRewrite(method: "class-position", tensors: [name], fileTensors: files(name) + files("cls"),
                    detail: "the \(info.shape[1]) positions cover the patch grid only and the CLS token is added after them (timm no_embed_class), which is a zero position row for the CLS token: row 0 inserted as zeros; exact"))
            } else if let scale = scaleFor[name] {
                outputs.append(info)
                recipes[name] = .scaled(name, by: scale)
                extraFiles[name] = files(scale)
                let key = Self.pattern(scale)
                var entry = scaledByPattern[key] ?? ([], [])
                entry.tensors.append(name)
                for file in files(scale) + files(name) where !entry.files.contains(file) { entry.files.append(file) }
                scaledByPattern[key] = entry
            } else {
                outputs.append(info)
                recipes[name] = .base(name)
            }
            if let (biasName, biasShape) = Self.bias(of: info), byName[biasName] == nil {
                outputs.append(TensorInfo(name: biasName, dtype: info.dtype, shape: biasShape))
                recipes[biasName] = .zeros(info.dtype, biasShape)
            }
        }
        for (pattern, entries) in missingByPattern.sorted(by: { $0.key < $1.key }) {
            rewrites.append(ExactRewrite(method: "zero-bias", tensors: entries.map(\.name),
                fileTensors: entries.flatMap { files($0.kernel) },
                detail: "the source has no \(pattern) (built without it, e.g. qkv_bias=False); a zero bias adds nothing: exact"))
        }
        for (pattern, entry) in scaledByPattern.sorted(by: { $0.key < $1.key }) {
            let after = pattern.hasSuffix("LayerScale_0/scale") ? "the attention's output projection (out)" : "the MLP's second layer (Dense_1)"
            rewrites.append(ExactRewrite(method: "layer-scale", tensors: entry.tensors, fileTensors: entry.files,
                detail: "LayerScale \(pattern) folded into \(after): W' = W·diag(gamma) on the output axis, b' = gamma ⊙ b; exact up to one float32 rounding of each product (≈1e-7 relative)"))
        }
        self.tensors = outputs
        self.recipes = recipes
        self.extraFileTensors = extraFiles
        self.rewrites = rewrites
        self.dropped = dropped
    }

    public var path: String { base.path }
    public var format: CheckpointFormat { base.format }
    public var metadata: [String: String] { base.metadata }
    public var layoutMatch: LayoutMatch? { (base as? any CanonicalProvenance)?.layoutMatch }

    public func fileTensors(for name: String) -> [String]? {
        guard let recipe = recipes[name] else { return nil }
        let own = (base as? any CanonicalProvenance)?.fileTensors(for: name)
        switch recipe {
        case .zeros: return []
        case .scaled: return (own ?? [name]) + (extraFileTensors[name] ?? [])
        case .base, .classRowAdded: return own
        }
    }

    public func read(_ name: String) throws(CheckpointError) -> Tensor {
        guard let recipe = recipes[name] else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "no such canonical tensor")
        }
        switch recipe {
        case .base(let source):
            return try base.read(source)
        case .scaled(let source, let scale):
            return try LayerScaleFold.scaledAlongLastAxis(try base.read(source), by: try base.read(scale))
        case .zeros(let dtype, let shape):
            return try Tensor.zeros(dtype, shape: shape)
        case .classRowAdded(let source):
            let posemb = try base.read(source)
            let row = try Tensor.zeros(posemb.dtype, shape: [1, 1, posemb.shape[2]])
            return try Tensor.concatenate([row, posemb], axis: 1)
        }
    }

    /// The bias that goes with a kernel or LayerNorm scale, and its shape; nil for tensors
    /// that have none (heads are dropped by inflation, so they are left as they are).
    static func bias(of info: TensorInfo) -> (String, [Int])? {
        let name = info.name
        guard !name.hasPrefix("output_projection/"), !CanonicalExtension.contains(name) else { return nil }
        if name.hasSuffix("/kernel"), let last = info.shape.last {
            let biasName = String(name.dropLast("kernel".count)) + "bias"
            let attentionInput = ["/query/kernel", "/key/kernel", "/value/kernel"].contains { name.hasSuffix($0) }
            return (biasName, attentionInput ? Array(info.shape.dropFirst()) : [last])
        }
        if name.hasSuffix("/scale"), contains(name, "LayerNorm") || contains(name, "encoder_norm") {
            return (String(name.dropLast("scale".count)) + "bias", info.shape)
        }
        return nil
    }

    /// `Transformer/encoderblock_3/…` as `Transformer/encoderblock_{i}/…`, to group blocks.
    static func pattern(_ name: String) -> String {
        // Called for every tensor of every file inspected: ASCII names (all real ones) are
        // rewritten as bytes, where `isNumber` is exactly 0-9; others as Characters.
        let bytes = Array(name.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return characterPattern(name) }
        let marker = Array("encoderblock_".utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + 3)
        for (index, part) in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).enumerated() {
            if index > 0 { result.append(UInt8(ascii: "/")) }
            if part.starts(with: marker), part.dropFirst(marker.count).allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
                result += Array("encoderblock_{i}".utf8)
            } else {
                result += part
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// `name.contains(part)`, for every tensor of a file: as bytes when `name` is ASCII (there
    /// bytes are characters, and `part` holds no CR or LF to join them), since the Character
    /// search is ~50 times slower.
    static func contains(_ name: String, _ part: StaticString) -> Bool {
        let needle = UnsafeBufferPointer(start: part.utf8Start, count: part.utf8CodeUnitCount)
        let bytes = Array(name.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return name.contains(part.description) }
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { start in
            bytes[start..<(start + needle.count)].elementsEqual(needle)
        }
    }

    /// ``pattern(_:)`` for names with non-ASCII characters, where digits of other scripts count.
    static func characterPattern(_ name: String) -> String {
        name.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("encoderblock_") && part.dropFirst("encoderblock_".count).allSatisfy(\.isNumber) ? "encoderblock_{i}" : String(part)
        }.joined(separator: "/")
    }
}
