/// A restricted unpickler for the `data.pkl` of a PyTorch checkpoint.
///
/// It executes the protocol-2 opcode subset that `torch.load(weights_only=True)` executes,
/// and nothing else: `GLOBAL` resolves to a symbol from ``PickleGlobal``'s allowlist (any
/// other global is refused, by name, as soon as it is read); `REDUCE`, `NEWOBJ` and `BUILD`
/// are interpreted only for allowlisted symbols (dicts, tensor rebuilds, parameters); no
/// Python object is created and no code runs.
///
/// Untrusted input is bounded everywhere: the number of operations, the stack, the memo
/// and the `MARK` depth have limits; lengths are checked against the bytes that remain;
/// popping below the innermost `MARK`, reading an unwritten memo entry, and a `STOP` that
/// leaves anything but one value on the stack are errors. Containers live in a flat object
/// table (see ``PickleValue``), so no input can make the unpickler recurse.
final class PickleMachine {
    /// Bounds on what one pickle may make the machine do.
    struct Limits: Sendable {
        var maxOperations = 20_000_000
        var maxStack = 2_000_000
        var maxMemo = 2_000_000
        var maxMarkDepth = 1_000
        var maxLineLength = 1_024
        var maxRank = TensorIO.Limits.defaultMaxRank
    }

    private(set) var objects: [PickleObject] = []
    private(set) var storages: [TorchStorageReference] = []
    private var storageByKey: [String: Int] = [:]
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    /// The memo: pickles number entries 0, 1, 2… in order (`pickle` assigns `len(memo)`), which
    /// are kept in an array; any other index (a hand-made pickle) goes to the dictionary.
    private var memo: [PickleValue] = []
    private var sparseMemo: [Int: PickleValue] = [:]
    private let bytes: [UInt8]
    private var position = 0
    private var operationOffset = 0
    private let path: String
    private let member: String
    private let limits: Limits

    private init(bytes: [UInt8], path: String, member: String, limits: Limits) {
        self.bytes = bytes
        self.path = path
        self.member = member
        self.limits = limits
    }

    /// Runs the pickle in `bytes` and returns the machine (for its object table and
    /// storages) with the pickled root value.
    /// - Parameters:
    ///   - path: the checkpoint file, and `member` the archive member, for messages.
    static func run(
        _ bytes: [UInt8], path: String, member: String, limits: Limits = Limits()
    ) throws(CheckpointError) -> (machine: PickleMachine, root: PickleValue) {
        let machine = PickleMachine(bytes: bytes, path: path, member: member, limits: limits)
        let root = try machine.execute()
        return (machine, root)
    }

    // MARK: - Errors

    private func failure(_ reason: String, fix: SettingText? = nil) -> CheckpointError {
        CheckpointError(.malformed, file: path, tensor: member, "\(reason) (pickle offset \(operationOffset))", fix: fix)
    }

    private static let corruptFix: SettingText = "The checkpoint is corrupt or was not written by torch.save; re-save it"

    // MARK: - Reading bytes

    private func readByte() throws(CheckpointError) -> UInt8 {
        guard position < bytes.count else {
            throw failure("the pickle ends without a STOP opcode", fix: "The checkpoint is truncated; re-save it")
        }
        defer { position += 1 }
        return bytes[position]
    }

    private func read(_ count: Int) throws(CheckpointError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - position else {
            throw failure("an opcode needs \(count) bytes but only \(bytes.count - position) remain",
                fix: "The checkpoint is truncated or corrupt; re-save it")
        }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    private func readUInt(_ width: Int) throws(CheckpointError) -> UInt64 {
        var value: UInt64 = 0
        for (shift, byte) in try read(width).enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
        return value
    }

    private func readLine() throws(CheckpointError) -> String {
        let start = position
        while position < bytes.count, bytes[position] != 0x0a {
            guard position - start < limits.maxLineLength else {
                throw failure("a GLOBAL name is longer than \(limits.maxLineLength) bytes", fix: Self.corruptFix)
            }
            position += 1
        }
        guard position < bytes.count else { throw failure("a GLOBAL name is not terminated", fix: Self.corruptFix) }
        let line = bytes[start..<position]
        position += 1
        guard let text = String(validating: line, as: UTF8.self) else {
            throw failure("a GLOBAL name is not valid UTF-8", fix: Self.corruptFix)
        }
        return text
    }

    private func decode(_ raw: ArraySlice<UInt8>) throws(CheckpointError) -> String {
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw failure("a string is not valid UTF-8", fix: Self.corruptFix)
        }
        return text
    }

    // MARK: - The stack

    private func push(_ value: PickleValue) throws(CheckpointError) {
        guard stack.count < limits.maxStack else {
            throw failure("the pickle's stack exceeds the limit of \(limits.maxStack) values")
        }
        stack.append(value)
    }

    private func pop() throws(CheckpointError) -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.popLast() else {
            throw failure("stack underflow: an opcode needs a value the stack does not hold", fix: Self.corruptFix)
        }
        return value
    }

    private func top() throws(CheckpointError) -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.last else {
            throw failure("stack underflow: an opcode needs a value the stack does not hold", fix: Self.corruptFix)
        }
        return value
    }

    private func popToMark() throws(CheckpointError) -> [PickleValue] {
        guard let mark = marks.popLast() else {
            throw failure("an opcode needs a MARK but none is open", fix: Self.corruptFix)
        }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func newObject(_ object: PickleObject) -> PickleValue {
        objects.append(object)
        return .object(objects.count - 1)
    }

    private func memoize(_ index: Int) throws(CheckpointError) {
        let value = try top()
        if index < memo.count {
            memo[index] = value
            return
        }
        if sparseMemo[index] == nil, memo.count + sparseMemo.count >= limits.maxMemo {
            throw failure("the pickle's memo exceeds the limit of \(limits.maxMemo) entries")
        }
        if index == memo.count, sparseMemo.isEmpty {
            memo.append(value)
        } else {
            sparseMemo[index] = value
        }
    }

    private func recall(_ index: Int) throws(CheckpointError) -> PickleValue {
        guard let value = index < memo.count ? memo[index] : sparseMemo[index] else {
            throw failure("memo entry \(index) is read before it is written", fix: Self.corruptFix)
        }
        return value
    }

    // MARK: - The loop

    private func execute() throws(CheckpointError) -> PickleValue {
        var operations = 0
        while true {
            operations += 1
            guard operations <= limits.maxOperations else {
                throw failure("the pickle exceeds the limit of \(limits.maxOperations) operations")
            }
            operationOffset = position
            let byte = try readByte()
            guard let opcode = PickleOpcode(rawValue: byte) else {
                throw failure(
                    "unsupported pickle opcode 0x\(String(byte, radix: 16).leftPadded(to: 2)) (\(PickleOpcode.name(of: byte)))",
                    fix: "Tubelet runs only the opcodes torch.load(weights_only=True) allows; re-save the checkpoint with torch.save's default protocol 2")
            }
            switch opcode {
            case .proto:
                let version = try readByte()
                guard version <= 5 else { throw failure("unknown pickle protocol \(version)", fix: Self.corruptFix) }
            case .stop:
                guard marks.isEmpty else {
                    throw failure("the pickle stops with \(marks.count) MARK(s) still open", fix: Self.corruptFix)
                }
                guard stack.count == 1, let root = stack.first else {
                    throw failure("the pickle stops with \(stack.count) values on its stack instead of 1", fix: Self.corruptFix)
                }
                guard position == bytes.count else {
                    throw failure("\(bytes.count - position) bytes follow the pickle's STOP", fix: Self.corruptFix)
                }
                return root
            case .global:
                let module = try readLine()
                let name = try readLine()
                guard let global = PickleGlobal.resolve(module: module, name: name) else {
                    throw CheckpointError(.unsupported, file: path, tensor: member,
                        "Unsupported global: GLOBAL \(module).\(name) was not an allowed global; it was refused, not run",
                        fix: "Tubelet loads only what torch.load(weights_only=True) allows. If you trust the file, load it in Python with weights_only=False and torch.save its state_dict() alone")
                }
                try push(.global(global))
            case .mark:
                guard marks.count < limits.maxMarkDepth else {
                    throw failure("MARKs nest deeper than the limit of \(limits.maxMarkDepth)")
                }
                marks.append(stack.count)
            case .none: try push(.none)
            case .newTrue: try push(.bool(true))
            case .newFalse: try push(.bool(false))
            case .binInt: try push(.int(Int(Int32(bitPattern: UInt32(try readUInt(4))))))
            case .binInt1: try push(.int(Int(try readUInt(1))))
            case .binInt2: try push(.int(Int(try readUInt(2))))
            case .long1: try push(try readLong(count: Int(try readByte())))
            case .binFloat:
                var bits: UInt64 = 0
                for byte in try read(8) { bits = bits << 8 | UInt64(byte) }
                try push(.float(Double(bitPattern: bits)))
            case .binUnicode: try push(.string(try decode(try read(Int(try readUInt(4))))))
            case .shortBinString: try push(.string(try decode(try read(Int(try readByte())))))
            case .emptyTuple: try push(newObject(.tuple([])))
            case .emptyList, .emptySet: try push(newObject(.list([])))
            case .emptyDict: try push(newObject(.dict(PickleDict())))
            case .tuple: try push(newObject(.tuple(try popToMark())))
            case .tuple1, .tuple2, .tuple3:
                let count = Int(opcode.rawValue - PickleOpcode.tuple1.rawValue) + 1
                var items: [PickleValue] = []
                for _ in 0..<count { items.append(try pop()) }
                try push(newObject(.tuple(items.reversed())))
            case .binPut: try memoize(Int(try readUInt(1)))
            case .longBinPut: try memoize(Int(try readUInt(4)))
            case .binGet: try push(try recall(Int(try readUInt(1))))
            case .longBinGet: try push(try recall(Int(try readUInt(4))))
            case .append:
                let value = try pop()
                try appendItems([value], to: try top())
            case .appends:
                let items = try popToMark()
                try appendItems(items, to: try top())
            case .setItem:
                let value = try pop()
                let key = try pop()
                try setItems([key, value], in: try top())
            case .setItems:
                let items = try popToMark()
                try setItems(items, in: try top())
            case .reduce:
                let arguments = try pop()
                let callable = try pop()
                try push(try call(callable, with: arguments))
            case .newObject:
                let arguments = try pop()
                let type = try pop()
                try push(try construct(type, with: arguments))
            case .build:
                let state = try pop()
                try build(try top(), state: state)
            case .binPersistentID:
                try push(try persistentLoad(try pop()))
            }
        }
    }

    private func readLong(count: Int) throws(CheckpointError) -> PickleValue {
        let raw = try read(count)
        guard !raw.isEmpty else { return .int(0) }
        let negative = (raw.last ?? 0) & 0x80 != 0
        // Beyond 8 bytes only sign-extension bytes may follow for the value to fit.
        if raw.count > 8 {
            let extensionByte: UInt8 = negative ? 0xff : 0x00
            guard raw.dropFirst(8).allSatisfy({ $0 == extensionByte }) else { return .bigInt }
        }
        var value: UInt64 = negative ? ~0 : 0
        for (index, byte) in raw.prefix(8).enumerated() {
            value &= ~(UInt64(0xff) << (8 * UInt64(index)))
            value |= UInt64(byte) << (8 * UInt64(index))
        }
        let signed = Int64(bitPattern: value)
        guard (signed < 0) == negative else { return .bigInt }
        return .int(Int(signed))
    }

    // MARK: - Containers

    private func object(_ value: PickleValue) -> PickleObject? {
        guard case .object(let index) = value, objects.indices.contains(index) else { return nil }
        return objects[index]
    }

    /// The items of a tuple value, or nil when it is not a tuple.
    func tupleItems(_ value: PickleValue) -> [PickleValue]? {
        guard case .tuple(let items)? = object(value) else { return nil }
        return items
    }

    private func appendItems(_ items: [PickleValue], to target: PickleValue) throws(CheckpointError) {
        guard case .object(let index) = target, case .list(var list) = objects[index] else {
            throw failure("APPEND on a \(describe(target)), which is not a list", fix: Self.corruptFix)
        }
        objects[index] = .tuple([])  // release the array while it is extended in place
        list.append(contentsOf: items)
        objects[index] = .list(list)
    }

    private func setItems(_ items: [PickleValue], in target: PickleValue) throws(CheckpointError) {
        guard items.count % 2 == 0 else {
            throw failure("SETITEMS with an odd number of values (\(items.count))", fix: Self.corruptFix)
        }
        guard case .object(let index) = target, case .dict(var dict) = objects[index] else {
            throw failure("SETITEM on a \(describe(target)), which is not a dict", fix: Self.corruptFix)
        }
        objects[index] = .tuple([])
        defer { objects[index] = .dict(dict) }
        dict.reserveCapacity(dict.entries.count + items.count / 2)
        for pair in stride(from: 0, to: items.count, by: 2) {
            dict.set(try key(items[pair]), items[pair + 1])
        }
    }

    private func key(_ value: PickleValue) throws(CheckpointError) -> PickleDict.Key {
        switch value {
        case .string(let text): return .string(Array(text.utf8))
        case .int(let number): return .int(number)
        case .bool(let flag): return .bool(flag)
        case .none: return .none
        default: throw failure("a dict key is a \(describe(value)); Tubelet reads dicts keyed by strings or integers")
        }
    }

    /// A short description of a value for messages.
    func describe(_ value: PickleValue) -> String {
        switch object(value) {
        case .tuple?: "tuple"
        case .list?: "list"
        case .dict?: "dict"
        case .storage?: "storage"
        case .tensor?: "tensor"
        case nil: value.typeName
        }
    }

    // MARK: - Calls (REDUCE, NEWOBJ, BUILD, BINPERSID)

    private func call(_ callable: PickleValue, with argumentsValue: PickleValue, nesting: Int = 0) throws(CheckpointError) -> PickleValue {
        // `_rebuild_from_type_v2` calls the function it is given; a chain of them must not
        // turn into unbounded recursion here.
        guard nesting <= 4 else {
            throw failure("_rebuild_from_type_v2 calls nest deeper than 4", fix: Self.corruptFix)
        }
        guard case .global(let global) = callable else {
            throw failure("REDUCE calls a \(describe(callable)), not an allowed global", fix: Self.corruptFix)
        }
        guard let arguments = tupleItems(argumentsValue) else {
            throw failure("REDUCE of \(global.dottedName) has arguments that are not a tuple", fix: Self.corruptFix)
        }
        func expect(_ counts: ClosedRange<Int>) throws(CheckpointError) {
            guard counts.contains(arguments.count) else {
                let expected = counts.count == 1 ? "\(counts.lowerBound)" : "\(counts.lowerBound) to \(counts.upperBound)"
                throw failure("\(global.dottedName) is called with \(arguments.count) arguments instead of \(expected)", fix: Self.corruptFix)
            }
        }
        switch global.meaning {
        case .dictType:
            try expect(0...1)
            var dict = PickleDict()
            if let source = arguments.first {
                switch object(source) {
                case .dict(let other)?:
                    for (key, value) in other.entries { dict.set(key, value) }
                case .list(let pairs)?, .tuple(let pairs)?:
                    for pair in pairs {
                        guard let items = tupleItems(pair), items.count == 2 else {
                            throw failure("\(global.dottedName) is given a sequence whose items are not pairs", fix: Self.corruptFix)
                        }
                        dict.set(try key(items[0]), items[1])
                    }
                default:
                    throw failure("\(global.dottedName) is given a \(describe(source))", fix: Self.corruptFix)
                }
            }
            return newObject(.dict(dict))
        case .setType:
            try expect(0...1)
            switch arguments.first.flatMap(object) {
            case nil where arguments.isEmpty: return newObject(.list([]))
            case .list(let items)?, .tuple(let items)?: return newObject(.list(items))
            default: throw failure("\(global.dottedName) is given a value that is not a sequence", fix: Self.corruptFix)
            }
        case .rebuildTensorV1:
            try expect(4...4)
            return try rebuildTensor(arguments, dtypeArgument: nil, via: global)
        case .rebuildTensorV2:
            try expect(6...7)
            return try rebuildTensor(arguments, dtypeArgument: nil, via: global)
        case .rebuildTensorV3:
            try expect(7...8)
            return try rebuildTensor(arguments, dtypeArgument: arguments[6], via: global)
        case .rebuildParameter, .rebuildParameterWithState:
            try expect(global.meaning == .rebuildParameter ? 3...3 : 4...4)
            return try tensorArgument(arguments[0], of: global)
        case .tensorType:
            // `Parameter(data, requires_grad)`: the parameter is its data.
            try expect(1...2)
            return try tensorArgument(arguments[0], of: global)
        case .rebuildFromType:
            try expect(4...4)
            guard case .global(let type) = arguments[1], type.meaning == .tensorType else {
                throw failure("\(global.dottedName) rebuilds a \(describe(arguments[1])), not a torch.Tensor or Parameter")
            }
            return try tensorArgument(try call(arguments[0], with: arguments[2], nesting: nesting + 1), of: global)
        case .sizeType:
            try expect(1...1)
            guard let items = tupleItems(arguments[0]) else {
                throw failure("torch.Size is given a \(describe(arguments[0])), not a tuple", fix: Self.corruptFix)
            }
            return newObject(.tuple(items))
        case .encode:
            try expect(1...2)
            guard case .string(let text) = arguments[0] else {
                throw failure("_codecs.encode is given a \(describe(arguments[0])), not a str", fix: Self.corruptFix)
            }
            let encoding = arguments.count == 2 ? arguments[1] : .string("utf-8")
            switch encoding {
            case .string("latin1"), .string("latin-1"), .string("iso-8859-1"):
                var encoded: [UInt8] = []
                for scalar in text.unicodeScalars {
                    guard scalar.value < 256 else { throw failure("_codecs.encode: a character is not latin-1", fix: Self.corruptFix) }
                    encoded.append(UInt8(scalar.value))
                }
                return .bytes(encoded)
            case .string("utf-8"), .string("utf8"):
                return .bytes(Array(text.utf8))
            default:
                throw failure("_codecs.encode asks for the encoding \(encoding), which Tubelet does not know")
            }
        case .byteArray:
            try expect(0...1)
            if let first = arguments.first {
                guard case .bytes(let content) = first else {
                    throw failure("bytearray is given a \(describe(first))", fix: Self.corruptFix)
                }
                return .bytes(content)
            }
            return .bytes([])
        case .inert:
            return .opaque(global.dottedName)
        case .storageType, .dtype:
            throw failure("the pickle calls \(global.dottedName), which torch checkpoints never do", fix: Self.corruptFix)
        }
    }

    private func tensorArgument(_ value: PickleValue, of global: PickleGlobal) throws(CheckpointError) -> PickleValue {
        guard case .tensor? = object(value) else {
            throw failure("\(global.dottedName) wraps a \(describe(value)), not a tensor", fix: Self.corruptFix)
        }
        return value
    }

    private func construct(_ type: PickleValue, with argumentsValue: PickleValue) throws(CheckpointError) -> PickleValue {
        guard case .global(let global) = type else {
            throw failure("NEWOBJ builds a \(describe(type)), not an allowed class", fix: Self.corruptFix)
        }
        switch global.meaning {
        case .dictType, .setType, .tensorType:
            return try call(type, with: argumentsValue)
        default:
            throw failure("NEWOBJ of \(global.dottedName) is not allowed")
        }
    }

    private func build(_ target: PickleValue, state: PickleValue) throws(CheckpointError) {
        // torch.load(weights_only=True) allows BUILD on dicts (a state_dict's `_metadata`
        // attribute) and on tensors; the state carries no weights, so it is not kept.
        switch object(target) {
        case .dict?, .tensor?: return
        default: throw failure("BUILD on a \(describe(target)) is not allowed; only dicts and tensors take state")
        }
    }

    private func persistentLoad(_ identifier: PickleValue) throws(CheckpointError) -> PickleValue {
        guard let items = tupleItems(identifier), items.count == 5, case .string("storage") = items[0] else {
            throw failure("a persistent id is not ('storage', class, key, location, numel)", fix: Self.corruptFix)
        }
        guard case .global(let global) = items[1], case .storageType(let dtype, let untyped, let supported) = global.meaning else {
            throw failure("a persistent id names \(describe(items[1])), not a storage class", fix: Self.corruptFix)
        }
        let key: String
        switch items[2] {
        case .string(let text): key = text
        case .int(let number): key = String(number)
        default: throw failure("a storage key is a \(describe(items[2])), not a string", fix: Self.corruptFix)
        }
        guard !key.isEmpty, !key.contains("/"), !key.contains("\0") else {
            throw failure("the storage key '\(key)' is not a plain record name", fix: Self.corruptFix)
        }
        guard case .string(let location) = items[3] else {
            throw failure("storage \(key)'s location is a \(describe(items[3])), not a string", fix: Self.corruptFix)
        }
        guard case .int(let numel) = items[4], numel >= 0 else {
            throw failure("storage \(key)'s size is \(describe(items[4])), not a non-negative integer", fix: Self.corruptFix)
        }
        let reference = TorchStorageReference(
            key: key, className: global.dottedName, dtype: dtype, isUntyped: untyped, isSupported: supported,
            location: location, numel: numel)
        if let existing = storageByKey[key] {
            let known = storages[existing]
            guard known.className == reference.className, known.numel == reference.numel else {
                throw failure("storage \(key) is declared twice, as \(known.className) of \(known.numel) and as \(reference.className) of \(numel)",
                    fix: Self.corruptFix)
            }
            return newObject(.storage(existing))
        }
        storages.append(reference)
        storageByKey[key] = storages.count - 1
        return newObject(.storage(storages.count - 1))
    }

    private func rebuildTensor(_ arguments: [PickleValue], dtypeArgument: PickleValue?, via global: PickleGlobal) throws(CheckpointError) -> PickleValue {
        guard case .storage(let storageIndex)? = object(arguments[0]) else {
            throw failure("\(global.dottedName) is given a \(describe(arguments[0])) instead of a storage", fix: Self.corruptFix)
        }
        guard case .int(let offset) = arguments[1] else {
            throw failure("\(global.dottedName) is given a storage offset that is a \(describe(arguments[1]))", fix: Self.corruptFix)
        }
        let shape = try integers(arguments[2], what: "size", of: global)
        let strides = try integers(arguments[3], what: "stride", of: global)
        guard shape.count == strides.count else {
            throw failure("\(global.dottedName) is given \(shape.count) sizes but \(strides.count) strides", fix: Self.corruptFix)
        }
        let storage = storages[storageIndex]
        let dtype: DType?
        let dtypeName: String
        if let dtypeArgument {
            guard case .global(let dtypeGlobal) = dtypeArgument, case .dtype(let resolved) = dtypeGlobal.meaning else {
                throw failure("\(global.dottedName) is given a dtype that is a \(describe(dtypeArgument))", fix: Self.corruptFix)
            }
            dtype = resolved
            dtypeName = dtypeGlobal.dottedName
        } else {
            dtype = storage.dtype
            dtypeName = storage.className
        }
        let reference = TorchTensorReference(
            storage: storageIndex, dtype: dtype, dtypeName: dtypeName, offset: offset, shape: shape, strides: strides)
        return newObject(.tensor(reference))
    }

    private func integers(_ value: PickleValue, what: String, of global: PickleGlobal) throws(CheckpointError) -> [Int] {
        guard let items = tupleItems(value) else {
            throw failure("\(global.dottedName) is given a \(what) that is a \(describe(value)), not a tuple", fix: Self.corruptFix)
        }
        guard items.count <= limits.maxRank else {
            throw failure("a tensor has \(items.count) dimensions, over the limit of \(limits.maxRank)",
                          fix: "If the file is trusted, raise the limit with \(setting: .maxRank)")
        }
        var numbers: [Int] = []
        for item in items {
            guard case .int(let number) = item else {
                throw failure("\(global.dottedName) is given a \(what) holding a \(describe(item))", fix: Self.corruptFix)
            }
            numbers.append(number)
        }
        return numbers
    }

    // MARK: - Reading the result

    /// The object `value` refers to, for walking the result.
    func resolve(_ value: PickleValue) -> PickleObject? {
        object(value)
    }
}
