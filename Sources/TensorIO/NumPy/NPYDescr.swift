/// Maps numpy's `descr` strings (`'<f4'`, `'>i8'`, `'|b1'`) to and from ``DType``.
enum NPYDescr {
    /// A decoded descriptor: the dtype and whether its bytes are big-endian.
    struct Decoded: Equatable {
        let dtype: DType
        let isBigEndian: Bool
    }

    /// Why a descriptor was refused, with the fix where there is one.
    struct Refusal: Error {
        let reason: String
        let fix: SettingText?
    }

    /// Decodes `descr`. `V2` decodes as bfloat16 only when `opaqueTwoByteAsBFloat16` says so.
    static func decode(_ descr: String, opaqueTwoByteAsBFloat16: Bool) throws(Refusal) -> Decoded {
        if let common = littleEndianNumber(descr) { return common }
        if let named = DType(rawValue: descr) { return Decoded(dtype: named, isBigEndian: false) }
        var text = Substring(descr)
        var bigEndian = false
        if let first = text.first, "<>|=".contains(first) {
            bigEndian = first == ">"
            text = text.dropFirst()
        }
        let dtype: DType? = switch text {
        case "b1", "?": .bool
        case "u1", "B": .uint8
        case "i1", "b": .int8
        case "i2": .int16
        case "i4": .int32
        case "i8": .int64
        case "u2": .uint16
        case "u4": .uint32
        case "u8": .uint64
        case "f2", "e": .float16
        case "f4": .float32
        case "f8": .float64
        default: nil
        }
        if let dtype { return Decoded(dtype: dtype, isBigEndian: bigEndian && dtype.byteCount > 1) }
        if text == "V2" {
            if opaqueTwoByteAsBFloat16 { return Decoded(dtype: .bfloat16, isBigEndian: bigEndian) }
            throw Refusal(
                reason: "the array has dtype '\(descr)' (2 opaque bytes), which is how ml_dtypes and JAX save bfloat16, but the file does not say so",
                fix: "If it is bfloat16, pass \(setting: .opaqueTwoByteAsBFloat16)")
        }
        if text.hasPrefix("O") {
            throw Refusal(reason: "the array has dtype '\(descr)': object arrays hold pickled Python objects, which Tubelet refuses to load",
                fix: "Save plain numeric arrays instead")
        }
        let kind = text.first.map(String.init) ?? ""
        let family: String = switch kind {
        case "c": "complex"
        case "S", "a": "byte-string"
        case "U": "unicode-string"
        case "M", "m": "datetime"
        case "V": "opaque (void)"
        case "f": "unsupported float width"
        default: "unknown"
        }
        throw Refusal(reason: "the array has \(family) dtype '\(descr)', which Tubelet does not support",
            fix: "Supported dtypes: \(DType.supportedNames)")
    }

    /// The descriptor numpy writes for `dtype`, little-endian. bfloat16 is written as `<V2`,
    /// exactly as ml_dtypes does, since numpy has no bfloat16 of its own.
    /// The little-endian (or byte-order-free) numeric descrs `np.save` writes for nearly every
    /// array (`<f4`, `<f2`, `<i8`, `|u1`, `|b1`…), read from their three bytes; nil for any
    /// other text, which the general rules below then read (to the same result for these).
    /// An npz holds one descr per tensor, and comparing strings case by case was a fifth of
    /// reading its headers.
    private static func littleEndianNumber(_ descr: String) -> Decoded? {
        var bytes = descr.utf8.makeIterator()
        guard let order = bytes.next(), order == UInt8(ascii: "<") || order == UInt8(ascii: "|"),
              let kind = bytes.next(), let size = bytes.next(), bytes.next() == nil else { return nil }
        let dtype: DType? = switch (kind, size) {
        case (UInt8(ascii: "f"), UInt8(ascii: "4")): .float32
        case (UInt8(ascii: "f"), UInt8(ascii: "2")): .float16
        case (UInt8(ascii: "f"), UInt8(ascii: "8")): .float64
        case (UInt8(ascii: "i"), UInt8(ascii: "8")): .int64
        case (UInt8(ascii: "i"), UInt8(ascii: "4")): .int32
        case (UInt8(ascii: "u"), UInt8(ascii: "1")): .uint8
        case (UInt8(ascii: "b"), UInt8(ascii: "1")): .bool
        default: nil
        }
        return dtype.map { Decoded(dtype: $0, isBigEndian: false) }
    }

    static func encode(_ dtype: DType) -> String {
        switch dtype {
        case .bool: "|b1"
        case .uint8: "|u1"
        case .int8: "|i1"
        case .int16: "<i2"
        case .int32: "<i4"
        case .int64: "<i8"
        case .uint16: "<u2"
        case .uint32: "<u4"
        case .uint64: "<u8"
        case .float16: "<f2"
        case .bfloat16: "<V2"
        case .float32: "<f4"
        case .float64: "<f8"
        }
    }
}
