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

    public init(compression: Compression = .stored) {
        self.compression = compression
    }
}
