/// Summary statistics of one tensor.
///
/// `min`, `max`, `mean` and `std` (population, ddof 0) are over the finite values only, so
/// one NaN does not hide the rest; NaNs and infinities are counted separately. They are nil
/// when the tensor has no finite value.
public struct TensorStatistics: Sendable, Equatable, Codable {
    public var count: Int
    public var min: Double?
    public var max: Double?
    public var mean: Double?
    public var std: Double?
    public var nanCount: Int
    public var infCount: Int

    /// Computes the statistics of `tensor` in three passes over its data: range and counts,
    /// then the mean, then the squared deviations from it (float32 takes a faster path with
    /// the same arithmetic, ``init(float32:)``).
    ///
    /// Two-pass variance with compensated (Neumaier) sums is as accurate as numpy's pairwise
    /// summation even when the mean is large next to the spread, where a one-pass update
    /// loses digits. Values are scaled by a power of two (exact) when the largest is near
    /// `Double.greatestFiniteMagnitude`, so sums and deviations cannot overflow.
    ///
    /// Each pass reads the tensor in order a slice at a time (a streamed tensor is computed
    /// again for each pass), so memory is a few slices whatever the tensor's size. A tensor
    /// whose source fails while it is read (a corrupt compressed chunk) throws that error.
    public init(of tensor: Tensor) throws(CheckpointError) {
        self = tensor.dtype == .float32 ? try TensorStatistics(float32: tensor) : try TensorStatistics(anyDType: tensor)
    }

    /// The statistics of a tensor of any dtype, each element converted to `Double`.
    private init(anyDType tensor: Tensor) throws(CheckpointError) {
        var finite = 0
        var nan = 0
        var inf = 0
        var low = Double.infinity
        var high = -Double.infinity
        try Self.pass(over: tensor) { value in
            if value.isNaN {
                nan += 1
            } else if value.isInfinite {
                inf += 1
            } else {
                finite += 1
                if value < low { low = value }
                if value > high { high = value }
            }
        }
        count = tensor.elementCount
        nanCount = nan
        infCount = inf
        guard finite > 0 else { return }
        min = low
        max = high
        let largest = Swift.max(low.magnitude, high.magnitude)
        let scale = largest > 0x1p1000 ? Double(sign: .plus, exponent: -largest.exponent, significand: 1) : 1
        var sum = CompensatedSum()
        try Self.pass(over: tensor) { value in if value.isFinite { sum.add(value * scale) } }
        let scaledMean = sum.total / Double(finite)
        var squares = CompensatedSum()
        try Self.pass(over: tensor) { value in
            if value.isFinite {
                let deviation = value * scale - scaledMean
                squares.add(deviation * deviation)
            }
        }
        mean = scaledMean / scale
        std = (squares.total / Double(finite)).squareRoot() / scale
    }

    /// Calls `body` with every element of `tensor` in order, read a block at a time.
    private static func pass(over tensor: Tensor, _ body: (Double) -> Void) throws(CheckpointError) {
        let reader = tensor.elementReader()
        var values: [Double] = []
        while true {
            try reader.next(into: &values)
            if values.isEmpty { return }
            for value in values { body(value) }
        }
    }
}

/// Neumaier's compensated summation: the rounding error of each addition is kept and added
/// back, so a long sum is accurate to about one rounding of the result.
struct CompensatedSum {
    private var sum = 0.0
    private var compensation = 0.0

    mutating func add(_ value: Double) {
        let next = sum + value
        if sum.magnitude >= value.magnitude {
            compensation += (sum - next) + value
        } else {
            compensation += (value - next) + sum
        }
        sum = next
    }

    var total: Double { sum + compensation }
}
