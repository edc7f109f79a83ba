import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import TensorIO

/// scenic's initialisers for the parameters an image ViT cannot provide, made reproducible:
/// every tensor draws from its own stream, keyed by the seed and the tensor's name, so the
/// same seed gives byte-identical output whatever order tensors are written in.
///
/// The distributions are scenic's (Flax's); the random bits are not JAX's (JAX's threefry
/// stream is not reproduced), so values match scenic's in law, not one by one.
public enum Initialiser: Codable, Sendable, Equatable {
    case zeros
    case ones
    /// Normal with mean 0 (positional embeddings: 0.02; MLP biases: 1e-6).
    case normal(stddev: Double)
    /// Glorot uniform on `[fanIn, fanOut]`: limit `sqrt(6 / (fanIn + fanOut))`.
    case xavierUniform(fanIn: Int, fanOut: Int)
    /// LeCun normal: a normal truncated at ±2σ, scaled so the variance is `1 / fanIn`.
    case lecunNormal(fanIn: Int)

    /// Short text for reports: `xavier_uniform(fan_in 768, fan_out 768)`.
    public var description: String {
        switch self {
        case .zeros: "zeros"
        case .ones: "ones"
        case .normal(let stddev): "normal(stddev \(stddev))"
        case .xavierUniform(let fanIn, let fanOut): "xavier_uniform(fan_in \(fanIn), fan_out \(fanOut))"
        case .lecunNormal(let fanIn): "lecun_normal(fan_in \(fanIn))"
        }
    }

    /// Whether values depend on the seed.
    public var isRandom: Bool {
        switch self {
        case .zeros, .ones: false
        default: true
        }
    }

    /// A float32 tensor of `shape` drawn for the tensor `name` with `seed`.
    ///
    /// Values go straight into the tensor's bytes: a temporary array as well would double the
    /// memory of the largest new tensor (16 MB for a ViT-L MLP kernel).
    public func make(shape: [Int], name: String, seed: UInt64) throws(CheckpointError) -> Tensor {
        let count = Shape.elementCount(shape) ?? 0
        let initialiser = self
        // Drawn a slice at a time as the tensor is written; each pass over the bytes starts
        // the stream again, so every pass gives the same values.
        let data = TensorBytes(count: count * 4, computedAhead: true) { () -> TensorBytes.Filler in
            var generator = SeededGenerator(seed: seed, stream: name)
            return { buffer in initialiser.draw(into: buffer, count: buffer.count / 4, generator: &generator) }
        }
        return try Tensor(dtype: .float32, shape: shape, bytes: data)
    }

    /// Draws the next `count` float32 values of `generator` into `buffer`.
    private func draw(into buffer: UnsafeMutableRawBufferPointer, count: Int, generator: inout SeededGenerator) {
        func store(_ value: Float, at index: Int) {
            buffer.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
        }
        switch self {
        case .zeros:
            for index in 0..<count { store(0, at: index) }
        case .ones:
            for index in 0..<count { store(1, at: index) }
        case .normal(let stddev):
            for index in 0..<count { store(Float(generator.nextNormal() * stddev), at: index) }
        case .xavierUniform(let fanIn, let fanOut):
            let limit = (6.0 / Double(fanIn + fanOut)).squareRoot()
            for index in 0..<count { store(Float((generator.nextUnit() * 2 - 1) * limit), at: index) }
        case .lecunNormal(let fanIn):
            // Flax's variance_scaling(1, "fan_in", "truncated_normal"): truncated at ±2 and
            // divided by the truncated distribution's standard deviation.
            let stddev = (1.0 / Double(fanIn)).squareRoot() / 0.879_625_661_034_239_78
            for index in 0..<count {
                var value = generator.nextNormal()
                while value.magnitude > 2 { value = generator.nextNormal() }
                store(Float(value * stddev), at: index)
            }
        }
    }
}

/// SplitMix64 keyed by a seed and a stream name (FNV-1a), with uniform and normal draws.
struct SeededGenerator {
    private var state: UInt64

    init(seed: UInt64, stream: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in stream.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        state = seed ^ hash
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Standard normal, by Box–Muller.
    mutating func nextNormal() -> Double {
        let u1 = 1 - nextUnit()  // (0, 1]: the logarithm is finite
        let u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
