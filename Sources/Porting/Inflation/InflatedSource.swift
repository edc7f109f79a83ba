import FoundationEssentials
import TensorIO

/// The inflated ViViT, computed one tensor at a time as a writer asks for it.
public final class InflatedSource: TensorSource {
    public let report: PortReport
    public let geometry: ViViTGeometry
    public let architecture: ViTArchitecture
    public let options: InflationOptions
    public let tensors: [TensorInfo]
    private let vit: any TensorSource
    private let plan: InflationPlan
    private var recipes: [String: InflationPlan.Recipe] = [:]

    init(vit: any TensorSource, plan: InflationPlan, geometry: ViViTGeometry, architecture: ViTArchitecture,
         options: InflationOptions, report: PortReport) {
        self.vit = vit
        self.plan = plan
        self.geometry = geometry
        self.architecture = architecture
        self.options = options
        self.report = report
        tensors = plan.entries.map { TensorInfo(name: $0.name, dtype: .float32, shape: $0.shape) }
        for entry in plan.entries { recipes[entry.name] = entry.recipe }
    }

    public var path: String { vit.path }
    public var format: CheckpointFormat { vit.format }

    /// The ViViT configuration (`tubelet.config`, JSON) travels with the tensors.
    public var metadata: [String: String] { ["tubelet.config": config.jsonText] }

    public var config: ViViTConfig {
        ViViTConfig(model: options.model, architecture: architecture, geometry: geometry, options: options)
    }

    public func read(_ name: String) throws(CheckpointError) -> Tensor {
        guard let recipe = recipes[name], let shape = tensors.first(where: { $0.name == name })?.shape else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "no such tensor in the inflated model")
        }
        let tensor: Tensor
        switch recipe {
        case .copy(let source):
            tensor = try readFloat32(source)
        case .kernel(let source, let method):
            tensor = try method.inflate(readFloat32(source), frames: shape[0])
        case .positions(let recipe):
            tensor = try positions(recipe, shape: shape, name: name)
        case .initialise(let initialiser):
            tensor = try initialiser.make(shape: shape, name: name, seed: options.seed)
        }
        guard tensor.shape == shape else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name,
                "internal error: made shape \(Shape.describe(tensor.shape)), planned \(Shape.describe(shape))")
        }
        return tensor
    }

    /// The ViT's tensors are float32 in ViViT (scenic trains in float32; a bfloat16 ViT is upcast).
    private func readFloat32(_ name: String) throws(CheckpointError) -> Tensor {
        let tensor = try vit.read(name)
        return tensor.dtype.isFloatingPoint ? try tensor.casting(to: .float32) : tensor
    }

    private func positions(_ recipe: InflationPlan.PositionRecipe, shape: [Int], name: String) throws(CheckpointError) -> Tensor {
        let source = try readFloat32(recipe.source)
        let width = source.shape[2]
        let gridStart = recipe.sourceHasClassRow ? 1 : 0
        let gridTensor: Tensor
        if recipe.sourceGrid != recipe.targetGrid {
            // Computed a grid row at a time as it is written, like the tiles and kernels.
            gridTensor = try PositionalEmbedding.resized(source, first: gridStart, rows: recipe.sourceGrid[0],
                                                         columns: recipe.sourceGrid[1], toRows: recipe.targetGrid[0],
                                                         toColumns: recipe.targetGrid[1])
        } else {
            // Tiled as is: the rows are copied, the tiles joined as they are written.
            gridTensor = try source.slice(axis: 1, gridStart..<source.shape[1])
        }
        var parts = Array(repeating: gridTensor, count: recipe.tiles)
        switch recipe.classRow {
        case .keep: parts.insert(try source.slice(axis: 1, 0..<1), at: 0)
        case .fresh: parts.insert(try Initialiser.normal(stddev: 0.02).make(shape: [1, 1, width], name: name + "#cls", seed: options.seed), at: 0)
        case .none: break
        }
        return try Tensor.concatenate(parts, axis: 1)
    }
}
