/// Summary statistics of one tensor, computed in one streaming pass.
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

    /// Computes the statistics of `tensor`, using Welford's update so the mean and variance
    /// stay accurate over millions of values.
    public init(of tensor: Tensor) {
        var finite = 0
        var nan = 0
        var inf = 0
        var low = Double.infinity
        var high = -Double.infinity
        var mean = 0.0
        var squares = 0.0
        tensor.forEachElement { value in
            if value.isNaN {
                nan += 1
            } else if value.isInfinite {
                inf += 1
            } else {
                finite += 1
                if value < low { low = value }
                if value > high { high = value }
                let delta = value - mean
                mean += delta / Double(finite)
                squares += delta * (value - mean)
            }
        }
        count = tensor.elementCount
        nanCount = nan
        infCount = inf
        if finite > 0 {
            min = low
            max = high
            self.mean = mean
            std = (squares / Double(finite)).squareRoot()
        }
    }
}
