/// Safety limits on what an input file may declare. Each is checked before anything is
/// allocated from a size the file controls.
public enum Limits {
    /// numpy's own `max_header_size` default: larger `.npy` headers are refused unless raised.
    public static let defaultMaxNPYHeaderBytes = 10_000
    /// DEFLATE cannot expand data by more than 1032 : 1, so a member that claims more than
    /// this ratio of its compressed size is lying, and is refused before any allocation.
    public static let maxDeflateRatio = 1100
    /// The largest number of tensors one archive may hold.
    public static let maxTensorCount = 1_000_000
    /// The largest rank accepted for a tensor.
    public static let maxRank = 64
}
