/// Conversions between the 16-bit float formats and `Float`/`Double`, bit-exact and
/// rounding to nearest, ties to even.
///
/// float16 uses Swift's `Float16`, whose conversions are IEEE 754 (compiler-rt on Linux).
/// bfloat16 has no standard type, so it is done on bits here: bfloat16 is the top half of a
/// float32, widening is a shift, narrowing rounds the dropped 16 bits to nearest-even and
/// keeps NaNs NaN (quieted, sign and top payload bits kept).
public enum FloatBits {
    /// The float32 with the same value as the bfloat16 `bits` (exact).
    @inline(__always)
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// `value` rounded to the nearest bfloat16, ties to even.
    @inline(__always)
    public static func bfloat16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN {
            return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
        }
        let roundingBias = UInt32(0x7fff) + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    /// `value` rounded to the nearest bfloat16, ties to even, in one rounding step.
    ///
    /// Going through `Float(value)` would round twice; instead the double is first narrowed
    /// to float32 with round-to-odd, which carries enough information (float32 keeps more
    /// than bfloat16's 8 bits + 2) for the second rounding to give the correctly rounded
    /// result.
    public static func bfloat16(from value: Double) -> UInt16 {
        if value.isNaN {
            let narrowed = Float(value)
            return UInt16(truncatingIfNeeded: narrowed.bitPattern >> 16) | 0x0040
        }
        return bfloat16(from: roundedToOdd(value))
    }

    /// `value` narrowed to float32 by rounding toward zero and then setting the lowest bit
    /// when the result is inexact ("round to odd").
    static func roundedToOdd(_ value: Double) -> Float {
        var narrowed = Float(value)
        if narrowed.isInfinite && !value.isInfinite {
            narrowed = value > 0 ? Float.greatestFiniteMagnitude : -Float.greatestFiniteMagnitude
        } else if Double(narrowed).magnitude > value.magnitude {
            narrowed = narrowed > 0 ? narrowed.nextDown : narrowed.nextUp
        }
        if Double(narrowed) != value {
            narrowed = Float(bitPattern: narrowed.bitPattern | 1)
        }
        return narrowed
    }

    /// The float32 with the same value as the float16 `bits` (exact).
    @inline(__always)
    public static func float(fromFloat16 bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// `value` rounded to the nearest float16, ties to even.
    @inline(__always)
    public static func float16(from value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// `value` rounded to the nearest float16, ties to even, in one rounding step.
    @inline(__always)
    public static func float16(from value: Double) -> UInt16 {
        Float16(value).bitPattern
    }
}
