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
struct HDF5Tree {
    /// Paths without the leading `/`, in walk order (depth first).
    var datasets: [String] = []
    /// Paths of groups, the root as `""` first.
    var groups: [String] = [""]
    /// Link path → target path.
    var softLinks: [(path: String, target: String)] = []
    /// Link path → `file:/object`.
    var externalLinks: [(path: String, target: String)] = []

    /// Walks `file` from its root group. Call inside ``HDF5Library/withLock(_:)``.
    static func walk(_ file: HDF5File, maxTensorCount: Int = Limits.defaultMaxTensorCount) throws(CheckpointError) -> HDF5Tree {
        var walker = Walker(file: file, maxTensorCount: maxTensorCount)
        try walker.visit("", depth: 0)
        return walker.tree
    }

    private struct Identity: Hashable {
        var fileNumber: UInt
        var bytes: [UInt8]
    }

    private struct Walker {
        let file: HDF5File
        let maxTensorCount: Int
        var tree = HDF5Tree()
        var visited: Set<Identity> = []

        init(file: HDF5File, maxTensorCount: Int) {
            self.file = file
            self.maxTensorCount = maxTensorCount
        }

        mutating func visit(_ groupPath: String, depth: Int) throws(CheckpointError) {
            guard depth <= HDF5Limits.maxGroupDepth else {
                throw CheckpointError(.limitExceeded, file: file.path, tensor: groupPath,
                    "groups nest more than \(HDF5Limits.maxGroupDepth) levels deep")
            }
            guard let group = HDF5ID(H5Gopen2(file.id.raw, "/" + groupPath, chdf5_p_default()), .group) else {
                throw CheckpointError(.malformed, file: file.path, tensor: HDF5Attribute.displayPath(groupPath),
                    HDF5ErrorStack.current().reason("cannot open the group"), fix: "The file is corrupt; re-save it")
            }
            if groupPath.isEmpty, let identity = identity(of: ".", in: group.raw)?.identity {
                visited.insert(identity)
            }
            for (name, linkType) in try links(of: group.raw, groupPath: groupPath) {
                let path = groupPath.isEmpty ? name : groupPath + "/" + name
                switch linkType {
                case Int32(H5L_TYPE_HARD.rawValue):
                    guard let (identity, objectType) = identity(of: name, in: group.raw) else {
                        throw CheckpointError(.malformed, file: file.path, tensor: path,
                            HDF5ErrorStack.current().reason("cannot read the object"), fix: "The file is corrupt; re-save it")
                    }
                    switch objectType {
                    case Int32(H5O_TYPE_GROUP.rawValue):
                        if visited.insert(identity).inserted {
                            tree.groups.append(path)
                            try visit(path, depth: depth + 1)
                        }
                    case Int32(H5O_TYPE_DATASET.rawValue):
                        tree.datasets.append(path)
                        guard tree.datasets.count <= maxTensorCount else {
                            throw CheckpointError(.limitExceeded, file: file.path,
                                "the file holds more than \(maxTensorCount) datasets",
                                fix: "If the file is trusted, raise the limit with \(setting: .maxTensorCount)")
                        }
                    default:
                        break  // named datatypes: types, not data
                    }
                case Int32(H5L_TYPE_SOFT.rawValue):
                    tree.softLinks.append((path, target(of: name, in: group.raw)))
                case Int32(H5L_TYPE_EXTERNAL.rawValue):
                    tree.externalLinks.append((path, target(of: name, in: group.raw)))
                default:
                    break  // user-defined link classes: nothing Tubelet can follow
                }
            }
        }

        /// The links directly in `group`, in the order described on ``HDF5Tree``.
        private func links(of group: hid_t, groupPath: String) throws(CheckpointError) -> [(String, Int32)] {
            var byCreationOrder = false
            if let properties = HDF5ID(H5Gget_create_plist(group), .propertyList) {
                var flags: UInt32 = 0
                if H5Pget_link_creation_order(properties.raw, &flags) >= 0 {
                    byCreationOrder = flags & UInt32(H5P_CRT_ORDER_INDEXED) != 0
                }
            }
            // The C callback cannot capture, so the limit travels with the list: iteration
            // stops one link past it, which the check below reports.
            var listing = (links: [(String, Int32)](), limit: maxTensorCount)
            let status = withUnsafeMutablePointer(to: &listing) { pointer in
                chdf5_iterate_links(group, byCreationOrder ? 1 : 0, { name, type, context in
                    guard let name, let context else { return -1 }
                    let listing = context.assumingMemoryBound(to: (links: [(String, Int32)], limit: Int).self)
                    guard listing.pointee.links.count <= listing.pointee.limit else { return 1 }
                    listing.pointee.links.append((String(cString: name), type))
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
                links.sort { NaturalOrder.precedes($0.0, $1.0) }
            }
            return links
        }

        private func identity(of name: String, in group: hid_t) -> (identity: Identity, type: Int32)? {
            var type: Int32 = -1
            var fileNumber: UInt = 0
            var bytes = [UInt8](repeating: 0, count: 16)
            guard chdf5_object_identity(group, name, &type, &fileNumber, &bytes) >= 0 else { return nil }
            return (Identity(fileNumber: fileNumber, bytes: bytes), type)
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
