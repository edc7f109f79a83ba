/// The tensors of an unpickled checkpoint, with names, found by walking its object tree.
///
/// Naming rules:
/// - A state dict (`OrderedDict` or `dict` of tensors) gives its own keys as names
///   (`blocks.0.attn.qkv.weight`).
/// - A dict nested in a dict gives `outer/inner` names: **`/` joins nesting levels**, and the
///   state dict's own `.` names are kept inside them (`model/blocks.0.attn.qkv.weight`,
///   `optimizer/state/0/exp_avg`). Lists and tuples contribute their indices.
/// - A single wrapper is dropped: when the top-level dict holds tensors under exactly one
///   key and that key is a usual wrapper name (`state_dict`, `model`, `module`, …), names
///   are the wrapped state dict's own, and the metadata records `pytorch.wrapper`.
/// - A checkpoint that is one bare tensor names it after the file (`weights.pt` → `weights`).
///
/// Non-tensor scalars reached through dicts (`epoch`, `arch`, a learning rate) become
/// metadata under their path; other non-tensor values are not tensors and are left out.
struct TorchStateDict {
    var tensors: [(name: String, tensor: TorchTensorReference)] = []
    var metadata: [String: String] = [:]

    /// Keys that hold a model's state dict in training checkpoints (timm, DeiT, MAE,
    /// Lightning, torchvision references).
    static let wrapperKeys: Set<String> = [
        "state_dict", "model", "module", "model_state_dict", "model_state", "net", "network", "params", "weights",
    ]

    /// The deepest nesting walked; a real checkpoint nests a handful of levels.
    static let maxDepth = 64
    /// The most containers and values visited. The pickle memo lets one sub-dict appear
    /// under many keys, so a small file can describe an exponentially large tree; walking
    /// stops with an error instead of running for ever.
    static let maxVisits = 1_000_000

    static func collect(
        root: PickleValue, machine: PickleMachine, bareTensorName: String, path: String, member: String
    ) throws(CheckpointError) -> TorchStateDict {
        var result = TorchStateDict()
        var names: Set<String> = []
        let walker = Walker(machine: machine, path: path, member: member)
        if case .tensor(let tensor)? = machine.resolve(root) {
            result.tensors = [(bareTensorName, tensor)]
            return result
        }
        if case .dict(let dict)? = machine.resolve(root) {
            let holding = dict.entries.filter { walker.holdsTensors($0.value, depth: 0) }
            if holding.count == 1, let only = holding.first, case .string = only.key,
               wrapperKeys.contains(only.key.text), case .dict? = machine.resolve(only.value) {
                result.metadata["pytorch.wrapper"] = only.key.text
                // Scalars beside the wrapper (epoch, arch) are still worth keeping.
                for (key, value) in dict.entries where key != only.key {
                    try walker.walk(value, name: key.text, depth: 1, into: &result, names: &names)
                }
                try walker.walk(only.value, name: "", depth: 1, into: &result, names: &names)
                return result
            }
        }
        try walker.walk(root, name: "", depth: 0, into: &result, names: &names)
        return result
    }

    private final class Walker {
        let machine: PickleMachine
        let path: String
        let member: String
        /// Whether each object (by index) holds a tensor, so shared sub-objects are
        /// examined once.
        private var holds: [Int: Bool] = [:]
        private var visits = 0

        init(machine: PickleMachine, path: String, member: String) {
            self.machine = machine
            self.path = path
            self.member = member
        }

        func holdsTensors(_ value: PickleValue, depth: Int) -> Bool {
            guard depth < TorchStateDict.maxDepth, case .object(let index) = value else { return false }
            if let known = holds[index] { return known }
            holds[index] = false  // a container reached again through itself adds nothing
            let result: Bool
            switch machine.resolve(value) {
            case .tensor?: result = true
            case .dict(let dict)?: result = dict.entries.contains { holdsTensors($0.value, depth: depth + 1) }
            case .list(let items)?, .tuple(let items)?: result = items.contains { holdsTensors($0, depth: depth + 1) }
            default: result = false
            }
            holds[index] = result
            return result
        }

        func walk(
            _ value: PickleValue, name: String, depth: Int, into result: inout TorchStateDict, names: inout Set<String>) throws(CheckpointError) {
            visits += 1
            guard visits <= TorchStateDict.maxVisits else {
                throw CheckpointError(.limitExceeded, file: path, tensor: member,
                    "the checkpoint's object tree has more than \(TorchStateDict.maxVisits) entries (sub-objects shared many times over)")
            }
            guard depth <= TorchStateDict.maxDepth else {
                throw CheckpointError(.limitExceeded, file: path, tensor: name,
                    "the checkpoint nests dicts and lists deeper than \(TorchStateDict.maxDepth) levels (or contains itself)")
            }
            func child(_ key: String) -> String {
                name.isEmpty ? key : name + "/" + key
            }
            switch machine.resolve(value) {
            case .tensor(let tensor)?:
                guard names.insert(name).inserted else {
                    throw CheckpointError(.malformed, file: path, tensor: name,
                        "two tensors get this name (a nested name collides with a key that contains '/')")
                }
                result.tensors.append((name, tensor))
            case .dict(let dict)?:
                for (key, item) in dict.entries {
                    try walk(item, name: child(key.text), depth: depth + 1, into: &result, names: &names)
                }
            case .list(let items)?, .tuple(let items)?:
                guard holdsTensors(value, depth: depth) else { return }
                for (index, item) in items.enumerated() {
                    try walk(item, name: child(String(index)), depth: depth + 1, into: &result, names: &names)
                }
            case .storage?:
                return
            case nil:
                guard !name.isEmpty else { return }
                switch value {
                case .int(let number): result.metadata[name] = String(number)
                case .float(let number): result.metadata[name] = String(number)
                case .bool(let flag): result.metadata[name] = flag ? "True" : "False"
                case .string(let text): result.metadata[name] = text
                default: return
                }
            }
        }
    }
}
