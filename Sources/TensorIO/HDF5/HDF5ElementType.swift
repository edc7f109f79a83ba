internal import CHDF5

/// How the elements of one HDF5 dataset map to a Tubelet ``DType``, and what has to be done to
/// the stored bytes to make them Tubelet's row-major little-endian layout.
///
/// Types are recognised by their properties, never by comparing against predefined types:
/// a float is IEEE half, single or double (or bfloat16) because of its size, sign, exponent
/// and mantissa fields and bias, whichever library wrote it. That is what makes h5py's float16
/// (HDF5 1.10 has no predefined half type), HDF5 2.0's predefined bfloat16 and big-endian data
/// from any writer readable.
struct HDF5ElementType: Sendable, Equatable {
    var dtype: DType
    /// The stored bytes are big-endian and must be swapped after reading.
    var bigEndian: Bool
    /// h5py's bool (an enum over int8 with FALSE = 0 and TRUE = 1): any non-zero byte reads as 1.
    var isBoolEnum: Bool = false

    /// Why a type is not readable, and what to do about it.
    struct Problem: Error {
        var reason: String
        var fix: SettingText?
    }

    /// Classifies the datatype `type` of a dataset.
    /// - Parameters:
    ///   - declaredBFloat16: the dataset carries Keras 3's `dtype = "bfloat16"` attribute.
    ///   - opaqueTwoByteAsBFloat16: the caller asked to read any 2-byte opaque data as bfloat16.
    /// Call inside ``HDF5Library/withLock(_:)``.
    static func classify(_ type: hid_t, declaredBFloat16: Bool, opaqueTwoByteAsBFloat16: Bool) throws(Problem) -> HDF5ElementType {
        let size = H5Tget_size(type)
        let typeClass = H5Tget_class(type)
        switch typeClass {
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            guard H5Tget_precision(type) == size * 8, H5Tget_offset(type) == 0 else {
                throw Problem(reason: "the dataset holds \(H5Tget_precision(type))-bit integers padded to \(size) bytes, which no numpy dtype matches",
                              fix: "Convert it to a standard integer width in h5py and re-save")
            }
            let dtype: DType? = switch (size, signed) {
            case (1, true): .int8
            case (2, true): .int16
            case (4, true): .int32
            case (8, true): .int64
            case (1, false): .uint8
            case (2, false): .uint16
            case (4, false): .uint32
            case (8, false): .uint64
            default: nil
            }
            guard let dtype else {
                throw Problem(reason: "the dataset holds \(size)-byte \(signed ? "signed" : "unsigned") integers; supported widths are 1, 2, 4 and 8 bytes",
                              fix: "Convert it to a standard integer width in h5py and re-save")
            }
            return HDF5ElementType(dtype: dtype, bigEndian: try bigEndian(type, size: size))
        case H5T_FLOAT:
            return HDF5ElementType(dtype: try floatDType(type, size: size), bigEndian: try bigEndian(type, size: size))
        case H5T_ENUM:
            guard isBoolEnum(type) else {
                throw Problem(reason: "the dataset holds an enumeration of \(H5Tget_nmembers(type)) members, and only h5py's bool enum (FALSE = 0, TRUE = 1) is a tensor dtype",
                              fix: "Convert it to integers in h5py (dataset[()].astype(int)) and re-save")
            }
            return HDF5ElementType(dtype: .bool, bigEndian: false, isBoolEnum: true)
        case H5T_OPAQUE:
            if size == 2 && (declaredBFloat16 || opaqueTwoByteAsBFloat16) {
                return HDF5ElementType(dtype: .bfloat16, bigEndian: false)
            }
            if size == 2 {
                throw Problem(reason: "the dataset holds 2-byte opaque data (possibly bfloat16) without Keras's dtype=\"bfloat16\" attribute",
                              fix: "If it is bfloat16, pass \(setting: .opaqueTwoByteAsBFloat16) to read it as such")
            }
            throw Problem(reason: "the dataset holds \(size)-byte opaque data, which has no tensor dtype", fix: nil)
        default:
            throw Problem(reason: "the dataset's HDF5 type class is \(className(typeClass)), which Tubelet cannot read as a tensor; supported: integer, float, h5py's bool enum, and 2-byte opaque bfloat16",
                          fix: "Store it as a plain numeric array, or remove it from the file")
        }
    }

    /// The name of an HDF5 type class, for messages.
    static func className(_ typeClass: H5T_class_t) -> String {
        switch typeClass {
        case H5T_INTEGER: "integer"
        case H5T_FLOAT: "float"
        case H5T_TIME: "time"
        case H5T_STRING: "string"
        case H5T_BITFIELD: "bitfield"
        case H5T_OPAQUE: "opaque"
        case H5T_COMPOUND: "compound"
        case H5T_REFERENCE: "reference"
        case H5T_ENUM: "enum"
        case H5T_VLEN: "variable-length (vlen)"
        case H5T_ARRAY: "array"
        default: "unknown (\(typeClass.rawValue))"
        }
    }

    /// Whether `type` is h5py's bool: an enum over a 1-byte integer with exactly the members
    /// FALSE = 0 and TRUE = 1.
    static func isBoolEnum(_ type: hid_t) -> Bool {
        guard H5Tget_class(type) == H5T_ENUM, H5Tget_size(type) == 1, H5Tget_nmembers(type) == 2 else { return false }
        var members: [String: Int8] = [:]
        for index in 0..<UInt32(2) {
            guard let name = H5Tget_member_name(type, index) else { return false }
            defer { H5free_memory(name) }
            var value: Int8 = 0
            guard H5Tget_member_value(type, index, &value) >= 0 else { return false }
            members[String(cString: name)] = value
        }
        return members == ["FALSE": 0, "TRUE": 1]
    }

    private static func bigEndian(_ type: hid_t, size: Int) throws(Problem) -> Bool {
        switch H5Tget_order(type) {
        case H5T_ORDER_LE: return false
        case H5T_ORDER_BE: return true
        case H5T_ORDER_NONE where size == 1: return false
        default:
            throw Problem(reason: "the dataset's byte order is neither little- nor big-endian (VAX or mixed)", fix: nil)
        }
    }

    /// IEEE half, single and double, and bfloat16, told apart by their bit fields.
    private static func floatDType(_ type: hid_t, size: Int) throws(Problem) -> DType {
        var signPosition = 0
        var exponentPosition = 0
        var exponentSize = 0
        var mantissaPosition = 0
        var mantissaSize = 0
        H5Tget_fields(type, &signPosition, &exponentPosition, &exponentSize, &mantissaPosition, &mantissaSize)
        let bias = H5Tget_ebias(type)
        let layout = [size, signPosition, exponentPosition, exponentSize, mantissaPosition, mantissaSize, bias]
        let plain = H5Tget_offset(type) == 0 && H5Tget_precision(type) == size * 8 && H5Tget_norm(type) == H5T_NORM_IMPLIED
        switch layout {
        case [2, 15, 10, 5, 0, 10, 15] where plain: return .float16
        case [2, 15, 7, 8, 0, 7, 127] where plain: return .bfloat16
        case [4, 31, 23, 8, 0, 23, 127] where plain: return .float32
        case [8, 63, 52, 11, 0, 52, 1023] where plain: return .float64
        default:
            throw Problem(
                reason: "the dataset holds \(size)-byte floats with sign bit \(signPosition), exponent \(exponentSize) bits at \(exponentPosition) (bias \(bias)) and mantissa \(mantissaSize) bits at \(mantissaPosition), which is not IEEE float16, float32, float64 or bfloat16",
                fix: "Convert it to float32 in h5py and re-save")
        }
    }
}
