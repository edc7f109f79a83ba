/// Keras 2 weight lists (`layer_names`, `weight_names`) carried in a checkpoint's metadata, so
/// an HDF5 file written from them is one tf.keras `load_weights` reads.
///
/// The HDF5 reader gives a group's attribute as the metadata key `group/name` (`layer_names`
/// alone for the root), a list of strings as a JSON array (`["embedding", "head"]`). The
/// writer puts these lists back as Keras wrote them: string arrays on their groups, an empty
/// list as Keras's empty float64 array. Layouts that write Keras 2 names produce the same keys.
public enum KerasWeightLists {
    /// The attributes Keras 2 reads as lists of names.
    static let attributeNames: Set<String> = ["layer_names", "weight_names"]

    /// One list: the attribute `attribute` of the group `group` ("" for the root).
    struct List: Equatable {
        var group: String
        var attribute: String
        var names: [String]
    }

    /// Whether `key` names a Keras weight list (`layer_names`, `model_weights/layer_names`,
    /// `dense/weight_names`): metadata that describes the tensors' own names, so it holds only
    /// as long as they do.
    public static func isListKey(_ key: String) -> Bool {
        attributeNames.contains(String(key.split(separator: "/", omittingEmptySubsequences: false).last ?? ""))
    }

    /// The metadata key of the list `attribute` of `group` ("" for the root).
    public static func key(group: String, attribute: String) -> String {
        group.isEmpty ? attribute : group + "/" + attribute
    }

    /// `names` as metadata text: the JSON array the HDF5 reader gives for a list attribute.
    public static func text(_ names: [String]) -> String {
        "[" + names.map(HDF5Attribute.jsonString).joined(separator: ", ") + "]"
    }

    /// The Keras lists among `metadata`: keys ``isListKey(_:)`` accepts whose value is a JSON
    /// array of strings. A value of another form is no Keras list, and stays a plain attribute.
    static func lists(in metadata: [String: String]) -> [String: List] {
        var lists: [String: List] = [:]
        for (key, value) in metadata where isListKey(key) {
            guard let names = parse(value) else { continue }
            var parts = key.split(separator: "/", omittingEmptySubsequences: false)
            let attribute = String(parts.removeLast())
            // Only a group HDF5 can hold: the root, or non-empty parts none of them ".".
            guard !parts.contains(where: { $0.isEmpty || $0 == "." }) else { continue }
            lists[key] = List(group: parts.joined(separator: "/"), attribute: attribute, names: names)
        }
        return lists
    }

    /// The strings of a JSON array of strings, nil for any other text. Metadata comes from
    /// input files, so it is parsed strictly (``StrictJSON``).
    public static func parse(_ text: String) -> [String]? {
        guard let value = try? StrictJSON.parse(Array(text.utf8)), case .array(let items) = value else { return nil }
        var names: [String] = []
        for item in items {
            // A NUL would cut the name short in HDF5's C strings.
            guard case .string(let name) = item, !name.contains("\0") else { return nil }
            names.append(name)
        }
        return names
    }

    /// The lists to write into an HDF5 file holding `datasets`, and the groups they need that
    /// no dataset creates (layers without weights), checked so that Keras and Tubelet can read
    /// the file: every layer a `layer_names` lists has a group, and every weight a
    /// `weight_names` lists has its dataset.
    /// - Parameter groups: the groups the datasets create.
    /// - Throws: when a list names a weight the file will not hold, which would make the file
    ///   unreadable; it means the metadata came from a file whose tensors had other names.
    static func plan(
        _ lists: [String: List], datasets: Set<String>, groups: Set<String>, path: String
    ) throws(CheckpointError) -> (lists: [List], emptyGroups: [String]) {
        func join(_ group: String, _ name: String) -> String { group.isEmpty ? name : group + "/" + name }
        var emptyGroups: Set<String> = []
        for listKey in lists.keys.sorted() {
            guard let list = lists[listKey] else { continue }
            if list.attribute == "weight_names" {
                for weight in list.names where !datasets.contains(join(list.group, weight)) {
                    throw CheckpointError(.invalidRequest, file: path, tensor: join(list.group, weight),
                        "the metadata's Keras weight list '\(listKey)' names this weight, but no tensor has its name, so Keras could not load the file",
                        fix: "The metadata comes from a Keras file whose tensors were renamed; write another format, or convert with \(setting: .targetLayout) a Keras layout")
                }
                if list.names.isEmpty && !list.group.isEmpty && !groups.contains(list.group) { emptyGroups.insert(list.group) }
            } else {
                for layer in list.names {
                    let group = join(list.group, layer)
                    let weights = lists[key(group: group, attribute: "weight_names")]
                    guard groups.contains(group) || weights?.names.isEmpty == true else {
                        throw CheckpointError(.invalidRequest, file: path, tensor: group,
                            "the metadata's Keras layer list '\(listKey)' names layer '\(layer)', but no tensor is in it and the metadata lists no weights for it, so Keras could not load the file",
                            fix: "The metadata comes from a Keras file whose tensors were renamed; write another format, or convert with \(setting: .targetLayout) a Keras layout")
                    }
                }
            }
        }
        // A group is created after its parents: sorted paths put `a` before `a/b`.
        let ordered = lists.keys.sorted().compactMap { lists[$0] }
        let needed = emptyGroups.flatMap { group in
            let parts = group.split(separator: "/")
            return parts.indices.map { parts[...$0].joined(separator: "/") }
        }
        return (ordered, Set(needed).subtracting(groups).sorted())
    }
}
