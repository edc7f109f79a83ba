/// The weight lists of Keras 2 / tf.keras HDF5 files (`save_weights('x.h5')`, `model.save('x.h5')`,
/// Hugging Face's `tf_model.h5`), checked against the datasets actually present.
///
/// Such a file lists its layers in the `layer_names` attribute of the root (or of
/// `/model_weights` in a full-model file), and each layer group lists its weights in
/// `weight_names` (`dense/kernel:0`), whose datasets sit at `<layer>/<weight name>`. Lists too
/// large for one attribute are split into `weight_names0`, `weight_names1`, … which are joined
/// here as Keras joins them. Tensor names stay the datasets' own paths (layouts map them later);
/// this type only proves that every listed weight exists and gives Keras's order.
enum KerasWeightNames {
    /// The attributes Keras may split across numbered attributes.
    static let splittableNames: Set<String> = ["layer_names", "weight_names"]

    /// `attributes` with each split list (`name0`, `name1`, … and no `name`) joined into one
    /// attribute `name`, as Keras's `load_attributes_from_hdf5_group` reads it.
    static func joiningSplitLists(_ attributes: [HDF5Attribute]) -> [HDF5Attribute] {
        var byName: [String: HDF5Attribute] = [:]
        for attribute in attributes { byName[attribute.name] = attribute }
        var result = attributes
        for name in splittableNames where byName[name] == nil && byName[name + "0"] != nil {
            var pieces: [String] = []
            var partNames: Set<String> = []
            var index = 0
            while let part = byName[name + String(index)], let strings = part.stringList {
                pieces += strings
                partNames.insert(part.name)
                index += 1
            }
            guard !partNames.isEmpty else { continue }
            result.removeAll { partNames.contains($0.name) }
            result.append(HDF5Attribute(name: name, values: .strings(pieces), isScalar: false))
        }
        return result
    }

    /// The datasets the file's Keras 2 weight lists name, in Keras's order (layers as
    /// `layer_names` lists them, each layer's weights as its `weight_names` lists them), or an
    /// empty list when the file has no Keras 2 layout.
    /// - Parameters:
    ///   - groupAttributes: each group's attributes (split lists joined), by group path.
    ///   - datasets: every dataset path in the file.
    /// - Throws: when a listed layer has no group or a listed weight has no dataset, or a list
    ///   is not a list of strings.
    static func listedDatasets(
        groupAttributes: [String: [HDF5Attribute]], datasets: Set<String>, file: String
    ) throws(CheckpointError) -> [String] {
        let prefix: String
        let layers: [String]
        if let names = try list("layer_names", of: "", in: groupAttributes, file: file) {
            prefix = ""
            layers = names
        } else if let names = try list("layer_names", of: "model_weights", in: groupAttributes, file: file) {
            prefix = "model_weights"
            layers = names
        } else {
            return []
        }
        var listed: [String] = []
        var seen: Set<String> = []
        for layer in layers {
            let group = join(prefix, layer)
            guard groupAttributes[group] != nil else {
                throw CheckpointError(.malformed, file: file, tensor: group,
                    "layer '\(layer)' is listed in \(prefix.isEmpty ? "the root's" : "'\(prefix)'s") layer_names, but the file has no such group",
                    fix: "The file is incomplete or was edited after Keras wrote it; save the weights again")
            }
            for weight in try list("weight_names", of: group, in: groupAttributes, file: file) ?? [] {
                let dataset = join(group, weight)
                guard datasets.contains(dataset) else {
                    throw CheckpointError(.malformed, file: file, tensor: dataset,
                        "layer '\(layer)' lists weight '\(weight)' in its weight_names, but the file has no such dataset",
                        fix: "The file is incomplete or was edited after Keras wrote it; save the weights again")
                }
                if seen.insert(dataset).inserted { listed.append(dataset) }
            }
        }
        return listed
    }

    /// The string list `name` of the group at `group`, nil when it has none.
    private static func list(
        _ name: String, of group: String, in groupAttributes: [String: [HDF5Attribute]], file: String
    ) throws(CheckpointError) -> [String]? {
        guard let attribute = groupAttributes[group]?.first(where: { $0.name == name }) else { return nil }
        guard let strings = attribute.stringList else {
            throw CheckpointError(.malformed, file: file, tensor: HDF5Attribute.displayPath(group),
                "the \(name) attribute is \(attribute.kindDescription), not a list of strings",
                fix: "This is not a valid Keras weights file; save the weights again")
        }
        return strings
    }

    private static func join(_ group: String, _ name: String) -> String {
        group.isEmpty ? name : group + "/" + name
    }
}
