/// A value on the unpickler's stack or in its memo.
///
/// Containers are not nested Swift values: they live in the machine's object table and a
/// value refers to one by index (``object(_:)``). So a hostile pickle that nests a million
/// tuples, or builds a list that contains itself, makes a flat table, never a deep
/// recursion (in building, in `deinit`) or a reference cycle.
enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too large for 64 bits; kept only to be named in messages.
    case bigInt
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// A `GLOBAL` reference, resolved symbolically: nothing is imported or run.
    case global(PickleGlobal)
    /// An inert value the allowlist admits but tensors never need (a `torch.device`, a
    /// layout), with a description for messages.
    case opaque(String)
    /// An entry of ``PickleMachine/objects``.
    case object(Int)

    /// What this is, in Python's words, for messages.
    var typeName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .global(let global): global.dottedName
        case .opaque(let description): description
        case .object: "object"
        }
    }
}

/// A container or torch object built by the unpickler.
enum PickleObject: Sendable {
    case tuple([PickleValue])
    case list([PickleValue])
    case dict(PickleDict)
    /// A persistent-id storage reference, index into ``PickleMachine/storages``.
    case storage(Int)
    case tensor(TorchTensorReference)
}

/// A Python `dict` / `OrderedDict`: insertion-ordered, a repeated key replacing the value
/// in its first position as Python does.
struct PickleDict: Sendable {
    /// A dict key Tubelet can name: strings (compared by their UTF-8 bytes, as Python
    /// compares them, not by Unicode equivalence), integers, booleans and None.
    enum Key: Hashable, Sendable {
        case string([UInt8])
        case int(Int)
        case bool(Bool)
        case none

        /// Hashed as a block of bytes: a state dict's hundreds of names, hashed byte by byte,
        /// were a tenth of unpickling one.
        func hash(into hasher: inout Hasher) {
            switch self {
            case .string(let bytes):
                hasher.combine(0)
                bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
            case .int(let value):
                hasher.combine(1)
                hasher.combine(value)
            case .bool(let value):
                hasher.combine(2)
                hasher.combine(value)
            case .none:
                hasher.combine(3)
            }
        }

        var text: String {
            switch self {
            case .string(let bytes): String(decoding: bytes, as: UTF8.self)
            case .int(let value): String(value)
            case .bool(let value): value ? "True" : "False"
            case .none: "None"
            }
        }
    }

    private(set) var entries: [(key: Key, value: PickleValue)] = []
    private var positions: [Key: Int] = [:]

    mutating func reserveCapacity(_ count: Int) {
        entries.reserveCapacity(count)
        positions.reserveCapacity(count)
    }

    mutating func set(_ key: Key, _ value: PickleValue) {
        if let position = positions[key] {
            entries[position].value = value
        } else {
            positions[key] = entries.count
            entries.append((key, value))
        }
    }
}
