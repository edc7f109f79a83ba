internal import CHDF5

/// What a walk of an HDF5 file's groups finds: every dataset and group reachable from the root
/// through hard links, and the soft and external links along the way (listed, never followed:
/// a soft link is another name for something the walk reaches anyway or a dangling name, and
/// an external link points into another file, which a checkpoint must not depend on).
///
/// Each group is visited once however many links lead to it, so a file whose links form a
/// cycle still ends. Children are visited in creation order where the group records it
/// (Tubelet's own files do, so tensors read back in the order they were written), otherwise in
/// name order with numbers compared as numbers (`vars/2` before `vars/10`).
///
/// Every object is opened once, by its name in the open group that links to it (not by its
/// path from the root, which libhdf5 would look up group by group again), and handed to the
/// walk's visitors while it is open: opening the ~400 datasets and ~300 groups of a ViT-L is
/// most of what a metadata-only `inspect` of an HDF5 file costs.
struct HDF5Tree {
    /// Paths without the leading `/`, in walk order (depth first).
    var datasets: [String] = []
    /// Paths of groups, the root as `""` first.
    var groups: [String] = [""]
    /// Link path → target path.
    var softLinks: [(path: String, target: String)] = []
    /// Link path → `file:/object`.
    var externalLinks: [(path: String, target: String)] = []

    /// Called with each group's path and open identifier, the root (`""`) first, before its
    /// members.
    typealias GroupVisitor = (String, hid_t) throws(CheckpointError) -> Void
    /// Called with each dataset's path and open identifier, in walk order.
    typealias DatasetVisitor = (String, hid_t) throws(CheckpointError) -> Void

    /// Walks `file` from its root group. Call inside ``HDF5Library/withLock(_:)``.
    static func walk(_ file: HDF5File, maxTensorCount: Int = Limits.defaultMaxTensorCount,
                     group visitGroup: GroupVisitor = { _, _ in }, dataset visitDataset: DatasetVisitor = { _, _ in }) throws(CheckpointError) -> HDF5Tree {
        var walker = Walker(file: file, maxTensorCount: maxTensorCount)
        guard let root = HDF5ID(H5Gopen2(file.id.raw, "/", chdf5_p_default()), .group) else {
            throw CheckpointError(.malformed, file: file.path, tensor: HDF5Attribute.displayPath(""),
                HDF5ErrorStack.current().reason("cannot open the group"), fix: "The file is corrupt; re-save it")
        }
        var type: Int32 = -1
        var fileNumber: UInt = 0
        var bytes = [UInt8](repeating: 0, count: 16)
        if chdf5_object_identity(root.raw, ".", &type, &fileNumber, &bytes) >= 0 {
            walker.visited.insert(bytes)
        }
        try walker.visit(root.raw, path: "", depth: 0, group: visitGroup, dataset: visitDataset)
        return walker.tree
    }

    private struct Walker {
        let file: HDF5File
        let maxTensorCount: Int
        var tree = HDF5Tree()
        /// The identities (address or token bytes) of the groups visited.
        var visited: Set<[UInt8]> = []

        init(file: HDF5File, maxTensorCount: Int) {
            self.file = file
            self.maxTensorCount = maxTensorCount
        }

        mutating func visit(_ group: hid_t, path groupPath: String, depth: Int,
                            group visitGroup: GroupVisitor, dataset visitDataset: DatasetVisitor) throws(CheckpointError) {
            guard depth <= HDF5Limits.maxGroupDepth else {
                throw CheckpointError(.limitExceeded, file: file.path, tensor: groupPath,
                    "groups nest more than \(HDF5Limits.maxGroupDepth) levels deep")
            }
            try visitGroup(groupPath, group)
            for link in try links(of: group, groupPath: groupPath) {
                let path = groupPath.isEmpty ? link.name : groupPath + "/" + link.name
                switch link.type {
                case Int32(H5L_TYPE_HARD.rawValue):
                    guard let object = HDF5ID(H5Oopen(group, link.name, chdf5_p_default()), .object) else {
                        throw Self.openFailure(file: file, path: path)
                    }
                    switch H5Iget_type(object.raw) {
                    case H5I_GROUP:
                        if visited.insert(link.identity).inserted {
                            tree.groups.append(path)
                            try visit(object.raw, path: path, depth: depth + 1, group: visitGroup, dataset: visitDataset)
                        }
                    case H5I_DATASET:
                        tree.datasets.append(path)
                        guard tree.datasets.count <= maxTensorCount else {
                            throw CheckpointError(.limitExceeded, file: file.path,
                                "the file holds more than \(maxTensorCount) datasets",
                                fix: "If the file is trusted, raise the limit with \(setting: .maxTensorCount)")
                        }
                        try visitDataset(path, object.raw)
                    default:
                        break  // named datatypes: types, not data
                    }
                case Int32(H5L_TYPE_SOFT.rawValue):
                    tree.softLinks.append((path, target(of: link.name, in: group)))
                case Int32(H5L_TYPE_EXTERNAL.rawValue):
                    tree.externalLinks.append((path, target(of: link.name, in: group)))
                default:
                    break  // user-defined link classes: nothing Tubelet can follow
                }
            }
        }

        /// The error for an object that would not open, with the cause said plainly where it
        /// is a known one: a dataset whose storage layout is newer than this libhdf5 reads.
        private static func openFailure(file: HDF5File, path: String) -> CheckpointError {
            let stack = HDF5ErrorStack.current()
            if stack.mentions("layout message") {
                return CheckpointError(.unsupported, file: file.path, tensor: path,
                    stack.reason("the dataset uses an HDF5 storage-layout format newer than this libhdf5 (\(HDF5Library.version)) reads"),
                    fix: "Re-save the file with h5py using an older format, h5py.File(path, 'w', libver=('earliest', 'v110'))")
            }
            return CheckpointError(.malformed, file: file.path, tensor: path, stack.reason("cannot open the object"),
                fix: "The file is corrupt; re-save it")
        }

        /// One link of a group: its name, its `H5L_type_t`, and for a hard link the identity
        /// of the object it names.
        struct Link {
            var name: String
            var type: Int32
            var identity: [UInt8]
        }

        /// The links directly in `group`, in the order described on ``HDF5Tree``.
        private func links(of group: hid_t, groupPath: String) throws(CheckpointError) -> [Link] {
            var byCreationOrder = false
            if let properties = HDF5ID(H5Gget_create_plist(group), .propertyList) {
                var flags: UInt32 = 0
                if H5Pget_link_creation_order(properties.raw, &flags) >= 0 {
                    byCreationOrder = flags & UInt32(H5P_CRT_ORDER_INDEXED) != 0
                }
            }
            // The C callback cannot capture, so the limit travels with the list: iteration
            // stops one link past it, which the check below reports.
            var listing = (links: [Link](), limit: maxTensorCount)
            let status = withUnsafeMutablePointer(to: &listing) { pointer in
                chdf5_iterate_links(group, byCreationOrder ? 1 : 0, { name, type, identity, context in
                    guard let name, let identity, let context else { return -1 }
                    let listing = context.assumingMemoryBound(to: (links: [Link], limit: Int).self)
                    guard listing.pointee.links.count <= listing.pointee.limit else { return 1 }
                    listing.pointee.links.append(Link(name: String(cString: name), type: type,
                                                      identity: Array(UnsafeBufferPointer(start: identity, count: 16))))
                    return 0
                }, UnsafeMutableRawPointer(pointer))
            }
            var links = listing.links
            guard status >= 0 else {
                throw CheckpointError(.malformed, file: file.path, tensor: HDF5Attribute.displayPath(groupPath),
                    HDF5ErrorStack.current().reason("cannot list the group's members"), fix: "The file is corrupt; re-save it")
            }
            guard links.count <= maxTensorCount else {
                throw CheckpointError(.limitExceeded, file: file.path, tensor: HDF5Attribute.displayPath(groupPath),
                    "the group holds more than \(maxTensorCount) members",
                    fix: "If the file is trusted, raise the limit with \(setting: .maxTensorCount)")
            }
            if !byCreationOrder {
                links.sort { NaturalOrder.precedes($0.name, $1.name) }
            }
            return links
        }

        private func target(of name: String, in group: hid_t) -> String {
            var buffer = [CChar](repeating: 0, count: 4096)
            guard chdf5_link_target(group, name, &buffer, buffer.count) >= 0 else {
                H5Eclear2(chdf5_e_default())
                return "?"
            }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
