/// Safety limits on what an input file may declare. Each is checked before anything is
/// allocated from a size the file controls, so a hostile or corrupt file is refused with a
/// message instead of exhausting memory.
///
/// The defaults sit far above what any real ViT checkpoint declares; a trusted file that
/// needs more can raise them (``ReadOptions/limits``; the command line has a flag for each).
public struct Limits: Sendable, Equatable {
    /// numpy's own `max_header_size` default.
    public static let defaultMaxNPYHeaderBytes = 10_000
    /// The safetensors reference reader's `MAX_HEADER_SIZE` (100 MB). A ViT-H `data.pkl` is a
    /// few hundred kB, so the same bound serves the torch pickle.
    public static let defaultMaxHeaderBytes = 100_000_000
    /// The largest a single compressed zip member may inflate to (8 GiB): far above any one
    /// ViT tensor (ViT-22B's largest is 0.6 GB in float32), below this machine class's memory.
    public static let defaultMaxDecompressedBytes = 8 << 30
    /// DEFLATE cannot expand data by more than 1032 : 1, so a member (or HDF5 dataset) that
    /// claims more than this ratio of its compressed size is lying or a bomb.
    public static let defaultMaxExpansionRatio = 1100
    /// A ViT-22B state dict has a few thousand tensors.
    public static let defaultMaxTensorCount = 1_000_000
    /// No framework goes near 64 dimensions (numpy's own `NPY_MAXDIMS` is 64).
    public static let defaultMaxRank = 64

    /// The largest `.npy` header text accepted, in bytes (also each `.npz` member's).
    public var maxNPYHeaderBytes = Limits.defaultMaxNPYHeaderBytes
    /// The largest safetensors JSON header or torch `data.pkl`, in bytes.
    public var maxHeaderBytes = Limits.defaultMaxHeaderBytes
    /// The most bytes one compressed zip member may declare (npz, torch, .keras archives).
    public var maxDecompressedBytes = Limits.defaultMaxDecompressedBytes
    /// The most times its compressed size a zip member or compressed HDF5 dataset may declare.
    public var maxExpansionRatio = Limits.defaultMaxExpansionRatio
    /// The most tensors (zip members, safetensors entries, HDF5 datasets, Flax arrays) a file
    /// may hold.
    public var maxTensorCount = Limits.defaultMaxTensorCount
    /// The most dimensions one tensor may have.
    public var maxRank = Limits.defaultMaxRank

    public init() {}
}
