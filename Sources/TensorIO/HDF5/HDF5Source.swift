internal import CHDF5

/// The tensors of an HDF5 file (or of the HDF5 image inside a `.keras` archive): names,
/// dtypes and shapes read when it is opened, data read one dataset at a time on request.
///
/// Every dataset reachable from the root is a tensor named by its path without the leading
/// `/` (`dense/dense/kernel:0`, `layers/dense/vars/0`): the file's own names, which layouts
/// map later. Tensors come in the file's order: Keras 2 weights first in the order the
/// `layer_names`/`weight_names` lists give (each one checked to exist), then every other
/// dataset in walk order (``HDF5Tree``).
///
/// Metadata are the attributes of every group and dataset: a root attribute `name` under the
/// key `name`, any other object's under `path/name` (`dense/weight_names`,
/// `layers/dense/vars/name`), each value as ``HDF5Attribute/text`` gives it. Keras's split
/// lists are joined; Keras 3's `dtype = "bfloat16"` is part of the dtype and left out. Soft and
/// external links, never followed, are listed as JSON objects (link → target) under
/// `hdf5.soft_links` and `hdf5.external_links`. Where two keys collide, the first one (root,
/// then groups, then datasets, in walk order) is kept.
final class HDF5Source: TensorSource {
    let path: String
    let format: CheckpointFormat
    let tensors: [TensorInfo]
    let metadata: [String: String]
    /// The open file; internal for tests that count what it holds open.
    let file: HDF5File
    private let datasets: [String: HDF5Dataset]

    /// Reads `file`'s structure.
    /// - Parameter extraMetadata: metadata from the container (a `.keras` archive's JSON members).
    init(file: HDF5File, format: CheckpointFormat, options: ReadOptions, extraMetadata: [String: String] = [:]) throws(CheckpointError) {
        self.file = file
        self.path = file.path
        self.format = format
        let scan = try HDF5Library.withLock { () throws(CheckpointError) -> Scan in
            CrashGuard.reading(file.path)
            return try Scan(file, options: options)
        }

        let listed = try KerasWeightNames.listedDatasets(
            groupAttributes: scan.groupAttributes, datasets: Set(scan.datasets.map(\.path)), file: file.path)
        let listedSet = Set(listed)
        let byPath = Dictionary(scan.datasets.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let ordered = listed + scan.datasets.map(\.path).filter { !listedSet.contains($0) }
        var seenNames: Set<String> = []
        var tensors: [TensorInfo] = []
        for name in ordered where seenNames.insert(name).inserted {
            guard let dataset = byPath[name] else { continue }
            tensors.append(TensorInfo(name: name, dtype: dataset.element.dtype, shape: dataset.shape))
        }
        self.tensors = tensors
        self.datasets = byPath

        var metadata: [String: String] = [:]
        func add(_ key: String, _ value: String) {
            if metadata[key] == nil { metadata[key] = value }
        }
        for group in scan.tree.groups {
            for attribute in scan.groupAttributes[group] ?? [] {
                add(group.isEmpty ? attribute.name : group + "/" + attribute.name, attribute.text)
            }
        }
        for dataset in scan.datasets {
            for attribute in scan.datasetAttributes[dataset.path] ?? [] {
                add(dataset.path + "/" + attribute.name, attribute.text)
            }
        }
        if !scan.tree.softLinks.isEmpty {
            add("hdf5.soft_links", Self.jsonObject(scan.tree.softLinks))
        }
        if !scan.tree.externalLinks.isEmpty {
            add("hdf5.external_links", Self.jsonObject(scan.tree.externalLinks))
        }
        for (key, value) in extraMetadata { add(key, value) }
        self.metadata = metadata
    }

    func read(_ name: String) throws(CheckpointError) -> Tensor {
        guard let dataset = datasets[name] else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "no such dataset in the file")
        }
        return try dataset.read(from: file)
    }

    /// What opening the file found, gathered in one pass under the library lock.
    private struct Scan {
        var tree: HDF5Tree
        var datasets: [HDF5Dataset] = []
        var groupAttributes: [String: [HDF5Attribute]] = [:]
        var datasetAttributes: [String: [HDF5Attribute]] = [:]

        init(_ file: HDF5File, options: ReadOptions) throws(CheckpointError) {
            var datasets: [HDF5Dataset] = []
            var groupAttributes: [String: [HDF5Attribute]] = [:]
            var datasetAttributes: [String: [HDF5Attribute]] = [:]
            tree = try HDF5Tree.walk(file, maxTensorCount: options.limits.maxTensorCount, group: { (path, group) throws(CheckpointError) in
                let attributes = try HDF5Attribute.readAll(of: group, objectPath: path, file: file.path)
                groupAttributes[path] = KerasWeightNames.joiningSplitLists(attributes)
            }, dataset: { (path, handle) throws(CheckpointError) in
                let (dataset, attributes) = try HDF5Dataset.inspect(handle, path: path, in: file, options: options)
                datasets.append(dataset)
                datasetAttributes[path] = attributes
            })
            self.datasets = datasets
            self.groupAttributes = groupAttributes
            self.datasetAttributes = datasetAttributes
        }
    }

    private static func jsonObject(_ pairs: [(path: String, target: String)]) -> String {
        "{" + pairs.map { HDF5Attribute.jsonString($0.path) + ": " + HDF5Attribute.jsonString($0.target) }.joined(separator: ", ") + "}"
    }
}
