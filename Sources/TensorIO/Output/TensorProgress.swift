/// How far a long operation (writing a checkpoint, reading every tensor for statistics) has
/// come, for a progress display.
///
/// Counts are of tensor data, the bulk of any checkpoint; headers and metadata are not
/// counted. `bytesDone == bytesTotal` is reported once, when the operation has finished.
public struct TensorProgress: Sendable, Equatable {
    public var bytesDone: Int
    public var bytesTotal: Int
    public var tensorsDone: Int
    public var tensorsTotal: Int

    public init(bytesDone: Int, bytesTotal: Int, tensorsDone: Int, tensorsTotal: Int) {
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.tensorsDone = tensorsDone
        self.tensorsTotal = tensorsTotal
    }
}

/// Receives ``TensorProgress`` reports. It is called on the thread doing the work, between
/// tensors, so it should return quickly (a progress bar throttles its redraws itself).
public typealias ProgressHandler = @Sendable (TensorProgress) -> Void
