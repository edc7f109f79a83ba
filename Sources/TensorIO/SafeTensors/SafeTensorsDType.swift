/// The dtype names of the safetensors format and how they map to ``DType``.
///
/// The order of ``allNames`` is the order of the `Dtype` enum in the reference
/// implementation (`safetensors/src/tensor.rs`), which is what its writer sorts by: tensors
/// of later (wider) dtypes come first, so every tensor is naturally aligned.
enum SafeTensorsDType {
    /// Every dtype name the format defines, in the reference enum's order.
    static let allNames = [
        "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8",
        "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ",
        "I16", "U16", "F16", "BF16",
        "I32", "U32", "F32", "C64", "F64", "I64", "U64",
    ]

    /// The Tubelet dtype a name stands for, or nil for names Tubelet does not support (the
    /// sub-byte, float8 and complex types) and names the format does not define.
    static func dtype(named name: String) -> DType? {
        switch name {
        case "BOOL": .bool
        case "U8": .uint8
        case "I8": .int8
        case "I16": .int16
        case "U16": .uint16
        case "F16": .float16
        case "BF16": .bfloat16
        case "I32": .int32
        case "U32": .uint32
        case "F32": .float32
        case "F64": .float64
        case "I64": .int64
        case "U64": .uint64
        default: nil
        }
    }

    /// The name safetensors uses for `dtype`.
    static func name(of dtype: DType) -> String {
        switch dtype {
        case .bool: "BOOL"
        case .uint8: "U8"
        case .int8: "I8"
        case .int16: "I16"
        case .uint16: "U16"
        case .float16: "F16"
        case .bfloat16: "BF16"
        case .int32: "I32"
        case .uint32: "U32"
        case .float32: "F32"
        case .float64: "F64"
        case .int64: "I64"
        case .uint64: "U64"
        }
    }

    /// The position of `dtype` in the reference enum, the writer's primary sort key.
    static func rank(of dtype: DType) -> Int {
        allNames.firstIndex(of: name(of: dtype)) ?? 0
    }

    /// The names of the dtypes Tubelet reads and writes, for messages.
    static var supportedNames: String {
        allNames.filter { dtype(named: $0) != nil }.joined(separator: ", ")
    }
}
