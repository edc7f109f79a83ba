import Testing
@testable import TensorIO

@Suite("16-bit float conversions")
struct FloatBitsTests {
    /// The nearest bfloat16 to `value` by brute force: compare the two neighbours exactly.
    static func referenceBFloat16(_ value: Double) -> UInt16 {
        let truncated = FloatBits.roundedToOdd(value).bitPattern >> 16  // toward zero (odd bit is below bf16's)
        let low = UInt16(truncated)
        let high = low &+ 1
        let lowValue = Double(FloatBits.float(fromBFloat16: low))
        // Past the largest finite bfloat16 the next value up is 2^128 for rounding purposes.
        let highValue = high & 0x7fff == 0x7f80
            ? (high & 0x8000 == 0 ? 0x1p128 : -0x1p128)
            : Double(FloatBits.float(fromBFloat16: high))
        let lowDistance = (value - lowValue).magnitude
        let highDistance = (highValue - value).magnitude
        if lowDistance < highDistance { return low }
        if highDistance < lowDistance { return high }
        return low & 1 == 0 ? low : high
    }

    @Test("Every bfloat16 widens to float32 and narrows back to itself")
    func bfloat16RoundTrip() {
        for bits in 0...UInt16.max {
            let value = FloatBits.float(fromBFloat16: bits)
            if value.isNaN {
                #expect(FloatBits.bfloat16(from: value) & 0x7fc0 == 0x7fc0, "NaN stays a quiet NaN: \(bits)")
                #expect(FloatBits.bfloat16(from: value) & 0x8000 == bits & 0x8000, "NaN keeps its sign")
            } else {
                #expect(FloatBits.bfloat16(from: value) == bits)
                #expect(FloatBits.bfloat16(from: Double(value)) == bits)
            }
        }
    }

    @Test("Every float16 widens to float32 and narrows back to itself")
    func float16RoundTrip() {
        for bits in 0...UInt16.max {
            let value = FloatBits.float(fromFloat16: bits)
            if value.isNaN {
                #expect(Float16(bitPattern: FloatBits.float16(from: value)).isNaN)
            } else {
                #expect(FloatBits.float16(from: value) == bits)
                #expect(FloatBits.float16(from: Double(value)) == bits)
            }
        }
    }

    static let bfloat16RoundingCases: [(Float, UInt16)] = [
        (1.0, 0x3f80),
        (Float(bitPattern: 0x3f80_8000), 0x3f80),  // tie between 0x3f80 and 0x3f81: even is 0x3f80
        (Float(bitPattern: 0x3f81_8000), 0x3f82),  // tie between 0x3f81 and 0x3f82: even is 0x3f82
        (Float(bitPattern: 0x3f80_8001), 0x3f81),  // just above the tie
        (Float(bitPattern: 0x3f80_7fff), 0x3f80),  // just below the tie
        (Float.greatestFiniteMagnitude, 0x7f80),  // rounds past bfloat16's largest finite value
        (-Float.greatestFiniteMagnitude, 0xff80),
        (Float.infinity, 0x7f80),
        (-Float.infinity, 0xff80),
        (-0.0, 0x8000),
        (Float(bitPattern: 0x0000_8000), 0x0000),  // smallest subnormals tie to zero
        (Float(bitPattern: 0x0001_8000), 0x0002),
        (Float.leastNonzeroMagnitude, 0x0000),
    ]

    @Test("float32 to bfloat16 rounds to nearest, ties to even", arguments: bfloat16RoundingCases)
    func bfloat16Rounding(value: Float, expected: UInt16) {
        #expect(FloatBits.bfloat16(from: value) == expected)
    }

    @Test("float32 to bfloat16 matches brute force on a million values")
    func bfloat16AgainstBruteForce() {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<1_000_000 {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
            guard value.isFinite, value.magnitude < Float(bitPattern: 0x7f7f_0000) else { continue }
            #expect(FloatBits.bfloat16(from: value) == Self.referenceBFloat16(Double(value)))
        }
    }

    @Test("float64 to bfloat16 rounds once, not twice through float32")
    func bfloat16FromDoubleSingleRounding() {
        // 1 + 2^-8 is exactly halfway between bfloat16 1.0 and 1.0078125; 2^-40 more rounds up.
        // Through float32 the 2^-40 is lost, the tie goes to even (1.0): the double-rounding error.
        let value = 1.0 + 0x1p-8 + 0x1p-40
        #expect(FloatBits.bfloat16(from: Float(value)) == 0x3f80)
        #expect(FloatBits.bfloat16(from: value) == 0x3f81)
        #expect(FloatBits.bfloat16(from: 1.0 + 0x1p-8) == 0x3f80)
        #expect(FloatBits.bfloat16(from: 1e300) == 0x7f80)
        #expect(FloatBits.bfloat16(from: -1e-300) == 0x8000)
        #expect(FloatBits.bfloat16(from: Double.nan) & 0x7fc0 == 0x7fc0)
        var generator = SplitMix64(seed: 7)
        for _ in 0..<200_000 {
            // Random 52-bit significands with exponents over bfloat16's whole range, subnormals included.
            let significand = 1 + Double(generator.next() >> 12) * 0x1p-52
            let exponent = Int(generator.next() % 265) - 136
            let value = Double(sign: generator.next() & 1 == 0 ? .plus : .minus, exponent: exponent, significand: significand)
            #expect(FloatBits.bfloat16(from: value) == Self.referenceBFloat16(value))
        }
    }

    @Test("float16 edge cases: ties, overflow, subnormals, signed zero")
    func float16EdgeCases() {
        #expect(FloatBits.float16(from: Float(65504)) == 0x7bff)
        #expect(FloatBits.float16(from: Float(65520)) == 0x7c00)  // halfway to 65536 rounds to Inf
        #expect(FloatBits.float16(from: Float(65519)) == 0x7bff)
        #expect(FloatBits.float16(from: Float(0x1p-24)) == 0x0001)  // smallest subnormal
        #expect(FloatBits.float16(from: Float(0x1p-25)) == 0x0000)  // tie to even zero
        #expect(FloatBits.float16(from: Float(0x1.8p-25)) == 0x0001)
        #expect(FloatBits.float16(from: Float(-0.0)) == 0x8000)
        #expect(FloatBits.float16(from: 1.0 + 0x1p-11) == 0x3c00)  // tie to even
        #expect(FloatBits.float16(from: 1.0 + 0x1p-11 + 0x1p-40) == 0x3c01)  // single rounding from Double
    }
}

/// A small deterministic generator for reproducible random tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
