/// A `GLOBAL module name` reference from a pickle, and what Tubelet lets it stand for.
///
/// Python's unpickler imports the module and calls whatever the name is: that is how a
/// pickle runs code. Tubelet never imports or calls anything. A global is a symbol; the
/// allowlist below (the part of `torch.load(weights_only=True)`'s allowlist that plain
/// weight files use) says which symbols the unpickler interprets, and how. Any other global
/// is refused when it is read, before anything could use it.
struct PickleGlobal: Sendable, Equatable {
    let module: String
    let name: String
    let meaning: Meaning

    /// What an allowlisted global stands for.
    enum Meaning: Sendable, Equatable {
        /// `collections.OrderedDict`, `collections.Counter`, `builtins.dict`: builds a dict.
        case dictType
        /// `builtins.set`, `builtins.frozenset`: builds an (inert) list.
        case setType
        /// `torch._utils._rebuild_tensor` (before torch 1.x's v2).
        case rebuildTensorV1
        /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
        case rebuildTensorV2
        /// `torch._utils._rebuild_tensor_v3(…, dtype[, metadata])`, for dtypes without a typed storage class.
        case rebuildTensorV3
        /// `torch._utils._rebuild_parameter(tensor, requires_grad, hooks)`.
        case rebuildParameter
        /// `torch._utils._rebuild_parameter_with_state(tensor, requires_grad, hooks, state)`.
        case rebuildParameterWithState
        /// `torch._tensor._rebuild_from_type_v2(func, type, args, state)`.
        case rebuildFromType
        /// `torch.nn.parameter.Parameter` and `torch.Tensor` as classes.
        case tensorType
        /// `torch.Size`: a tuple.
        case sizeType
        /// A storage class; `dtype` is nil for `UntypedStorage` (sizes in bytes), and
        /// `supported` false for classes of dtypes Tubelet has no equivalent of.
        case storageType(dtype: DType?, untyped: Bool, supported: Bool)
        /// A `torch.<dtype>` object; nil for dtypes Tubelet has no equivalent of.
        case dtype(DType?)
        /// `_codecs.encode(text, encoding)`: how protocol 2 spells `bytes`.
        case encode
        /// `builtins.bytearray`.
        case byteArray
        /// `torch.device`, `torch.serialization._get_layout`, `builtins.complex`: admitted,
        /// but inert.
        case inert
    }

    var dottedName: String { "\(module).\(name)" }

    /// Resolves `module name`, or returns nil when the global is not allowlisted.
    static func resolve(module: String, name: String) -> PickleGlobal? {
        guard let meaning = meaning(module: module, name: name) else { return nil }
        return PickleGlobal(module: module, name: name, meaning: meaning)
    }

    private static func meaning(module: String, name: String) -> Meaning? {
        switch (module, name) {
        case ("collections", "OrderedDict"), ("collections", "Counter"), ("builtins", "dict"): return .dictType
        case ("builtins", "set"), ("builtins", "frozenset"): return .setType
        case ("torch._utils", "_rebuild_tensor"): return .rebuildTensorV1
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor_v3"): return .rebuildTensorV3
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameterWithState
        case ("torch._tensor", "_rebuild_from_type_v2"): return .rebuildFromType
        case ("torch.nn.parameter", "Parameter"), ("torch", "Tensor"): return .tensorType
        case ("torch", "Size"): return .sizeType
        case ("torch.storage", "UntypedStorage"): return .storageType(dtype: nil, untyped: true, supported: true)
        case ("_codecs", "encode"): return .encode
        case ("builtins", "bytearray"): return .byteArray
        case ("torch", "device"), ("torch.serialization", "_get_layout"), ("builtins", "complex"): return .inert
        default: break
        }
        guard module == "torch" else { return nil }
        if let storage = storageClasses[name] { return .storageType(dtype: storage, untyped: false, supported: true) }
        if unsupportedStorageClasses.contains(name) { return .storageType(dtype: nil, untyped: false, supported: false) }
        if let dtype = dtypes[name] { return .dtype(dtype) }
        if unsupportedDTypes.contains(name) { return .dtype(nil) }
        return nil
    }

    /// `torch.storage._dtype_to_storage_type_map`, restricted to Tubelet's dtypes.
    static let storageClasses: [String: DType] = [
        "DoubleStorage": .float64, "FloatStorage": .float32, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "LongStorage": .int64, "IntStorage": .int32, "ShortStorage": .int16, "CharStorage": .int8,
        "ByteStorage": .uint8, "BoolStorage": .bool,
    ]

    static let unsupportedStorageClasses: Set<String> = [
        "ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage", "QUInt8Storage", "QInt32Storage",
        "QUInt4x2Storage", "QUInt2x4Storage",
    ]

    /// `torch.<name>` dtype objects and their aliases.
    static let dtypes: [String: DType] = [
        "float64": .float64, "double": .float64, "float32": .float32, "float": .float32,
        "float16": .float16, "half": .float16, "bfloat16": .bfloat16,
        "int64": .int64, "long": .int64, "int32": .int32, "int": .int32, "int16": .int16, "short": .int16,
        "int8": .int8, "uint8": .uint8, "bool": .bool, "uint16": .uint16, "uint32": .uint32, "uint64": .uint64,
    ]

    static let unsupportedDTypes: Set<String> = [
        "complex32", "chalf", "complex64", "cfloat", "complex128", "cdouble",
        "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2",
        "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
        "bits1x8", "bits2x4", "bits4x2", "bits8", "bits16",
        "int1", "int2", "int3", "int4", "int5", "int6", "int7",
        "uint1", "uint2", "uint3", "uint4", "uint5", "uint6", "uint7",
    ]
}
