/// Writes a ``TensorSource`` in one format. Every format plugs in here.
///
/// Writers read the source one tensor at a time and write it out before reading the next,
/// so memory stays bounded by the largest tensor. They write to the path they are given;
/// ``Checkpoint/write(_:to:format:options:overwrite:)`` hands them a temporary path and
/// renames it into place only when the writer succeeded.
public protocol CheckpointWriter: Sendable {
    var format: CheckpointFormat { get }
    func write(_ source: any TensorSource, to path: String, options: WriteOptions) throws(CheckpointError)
}

/// Choices a caller makes about how a file is written.
public struct WriteOptions: Sendable {
    /// How archive members are stored.
    public enum Compression: Sendable, Equatable {
        /// Stored uncompressed: fastest, and what memory-mapping readers need.
        case stored
        /// Deflated at `level` 1…9.
        case deflate(level: Int)
    }

    public var compression: Compression = .stored
    /// Split a safetensors output into Hugging Face shards of at most this many bytes of
    /// tensor data each (a larger tensor gets a shard of its own); the output is then a
    /// directory. Nil writes one file.
    public var maxShardBytes: Int?
    /// Called as the writer takes each tensor and once when the output is complete; nil
    /// reports nothing. Every writer reports through it (see ``TensorProgress``).
    public var progress: ProgressHandler?
    /// The path the caller asked for, when the writer is handed a temporary one: formats
    /// that record their own file name (a PyTorch archive's folder) take it from here.
    var finalPath: String?
    /// Write zip64 records in a stored npz even where 32-bit fields would do, so tests can
    /// check them without writing 4 GiB.
    var alwaysZip64 = false

    public init(compression: Compression = .stored, maxShardBytes: Int? = nil, progress: ProgressHandler? = nil) {
        self.compression = compression
        self.maxShardBytes = maxShardBytes
        self.progress = progress
    }
}
