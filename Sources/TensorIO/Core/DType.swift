/// The element type of a tensor.
///
/// The raw value is the lower-case name used on the command line, in JSON output and in
/// error messages (`float32`, `bfloat16`, …). Every format maps its own dtype spelling to
/// and from these cases.
public enum DType: String, CaseIterable, Sendable, Codable {
    case bool
    case uint8
    case int8
    case int16
    case int32
    case int64
    case uint16
    case uint32
    case uint64
    case float16
    case bfloat16
    case float32
    case float64

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .bool, .uint8, .int8: 1
        case .int16, .uint16, .float16, .bfloat16: 2
        case .int32, .uint32, .float32: 4
        case .int64, .uint64, .float64: 8
        }
    }

    /// Whether this is a floating-point type, the only kind ``CastingSource`` casts.
    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: true
        default: false
        }
    }

    /// The names of every dtype, for error messages that list what is supported.
    public static var supportedNames: String {
        allCases.map(\.rawValue).joined(separator: ", ")
    }
}
