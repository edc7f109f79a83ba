import TensorIO

/// The output tree of one inflation: every ViViT tensor with the recipe that makes it, and
/// every ViT tensor left out with the reason. Planning reads no tensor data.
struct InflationPlan {
    /// How one output tensor is made.
    enum Recipe {
        case copy(String)
        case kernel(String, KernelInflation)
        case positions(PositionRecipe)
        case initialise(Initialiser)
    }

    /// A positional embedding made from the ViT's: grid resized if the patch grid changes,
    /// tiled over time, with the CLS row kept, dropped or freshly drawn.
    struct PositionRecipe {
        enum ClassRow { case none, keep, fresh }
        let source: String
        let sourceHasClassRow: Bool
        let sourceGrid: [Int]
        let targetGrid: [Int]
        let tiles: Int
        let classRow: ClassRow
    }

    struct Entry {
        let name: String
        let shape: [Int]
        let recipe: Recipe
        let report: PortReport.Output
    }

    var entries: [Entry] = []
    var dropped: [PortReport.Dropped] = []
    let seed: UInt64
    /// The input file's tensors behind each canonical ViT tensor, for the report.
    let fileTensors: (String) -> [String]?

    mutating func copy(_ name: String, from source: String, shape: [Int], method: SettingText? = nil) {
        entries.append(Entry(name: name, shape: shape, recipe: .copy(source), report: .init(
            name: name, shape: shape, dtype: .float32, origin: .copied, from: [source], fileTensors: fileTensors(source), methodText: method)))
    }

    mutating func initialise(_ name: String, shape: [Int], _ initialiser: Initialiser, why: SettingText) {
        entries.append(Entry(name: name, shape: shape, recipe: .initialise(initialiser), report: .init(
            name: name, shape: shape, dtype: .float32, origin: .initialised,
            initialisation: PortReport.Initialisation(initialiser: initialiser.description, reason: why),
            seed: initialiser.isRandom ? seed : nil)))
    }

    mutating func inflateKernel(_ name: String, from source: String, shape: [Int], method: KernelInflation) {
        let weights = method.frameWeights(frames: shape[0]).map { String(format4($0)) }.joined(separator: ", ")
        entries.append(Entry(name: name, shape: shape, recipe: .kernel(source, method), report: .init(
            name: name, shape: shape, dtype: .float32, origin: .inflated, from: [source], fileTensors: fileTensors(source),
            methodText: "\(method.rawValue) over \(shape[0]) frames (weights \(weights))")))
    }

    mutating func positions(_ name: String, shape: [Int], _ recipe: PositionRecipe) {
        let resized = recipe.sourceGrid != recipe.targetGrid
        let origin: PortReport.Origin = resized ? (recipe.tiles > 1 ? .resizedTiled : .resized) : (recipe.tiles > 1 ? .tiled : .copied)
        var notes: [String] = []
        if resized {
            notes.append("grid \(recipe.sourceGrid[0])x\(recipe.sourceGrid[1]) → \(recipe.targetGrid[0])x\(recipe.targetGrid[1]) by linear interpolation (scipy.ndimage.zoom order 1)")
        }
        if recipe.tiles > 1 { notes.append("repeated over \(recipe.tiles) temporal positions, time-major") }
        switch recipe.classRow {
        case .keep: notes.append("CLS row kept")
        case .fresh: notes.append("CLS row drawn from normal(stddev 0.02), as scenic's own initialisation (the ViT has none)")
        case .none: if recipe.sourceHasClassRow { notes.append("CLS row dropped (this model has no CLS token)") }
        }
        entries.append(Entry(name: name, shape: shape, recipe: .positions(recipe), report: .init(
            name: name, shape: shape, dtype: .float32, origin: origin, from: [recipe.source],
            fileTensors: fileTensors(recipe.source), methodText: notes.isEmpty ? nil : SettingText(verbatim: notes.joined(separator: "; ")),
            seed: recipe.classRow == .fresh ? seed : nil)))
    }

    mutating func drop(_ name: String, _ reason: SettingText) {
        dropped.append(PortReport.Dropped(name: name, fileTensors: fileTensors(name), reason: reason))
    }
}

private func format4(_ value: Double) -> String {
    let rounded = (value * 10_000).rounded() / 10_000
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
}
