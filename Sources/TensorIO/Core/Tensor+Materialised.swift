extension Tensor {
    /// The tensor with its bytes computed or read whole (a stored tensor is returned as it
    /// is): code that looks at every element through ``TensorBytes/withUnsafeBytes(_:)`` —
    /// statistics, comparisons, a resize — calls this first, so a streamed tensor whose source
    /// fails (a corrupt gzip chunk in an HDF5 dataset, found only when read) is a
    /// ``CheckpointError`` naming it instead of a trap.
    public func materialised() throws(CheckpointError) -> Tensor {
        guard bytes.isStreamed else { return self }
        return Tensor(checked: dtype, shape: shape, bytes: try bytes.materialised())
    }
}
