/// Reads a single `.npy` array as a one-tensor checkpoint named after the file.
///
/// The file is memory-mapped; a little-endian C-order array is handed out without a copy.
public struct NPYReader: CheckpointReader {
    public var format: CheckpointFormat { .npy }

    public init() {}

    public func open(_ path: String, options: ReadOptions) throws(CheckpointError) -> any TensorSource {
        try NPYFileSource(path: path, options: options)
    }
}

final class NPYFileSource: TensorSource {
    let path: String
    let tensors: [TensorInfo]
    var format: CheckpointFormat { .npy }
    var metadata: [String: String] { [:] }
    private let file: MappedFile
    private let header: NPYHeader

    init(path: String, options: ReadOptions) throws(CheckpointError) {
        self.path = path
        file = try MappedFile(path: path)
        let name = Self.tensorName(for: path)
        do {
            header = try NPYHeader.parse(file.bytes, options: options)
        } catch {
            throw CheckpointError(error.kind, file: path, tensor: name, SettingText(verbatim: error.reason), fix: error.fix)
        }
        let expectedEnd = header.dataOffset + header.byteCount
        if expectedEnd > file.bytes.count {
            throw CheckpointError(.truncated, file: path, tensor: name,
                "shape \(Shape.describe(header.shape)) of \(header.dtype.rawValue) needs \(header.byteCount) bytes of data but the file has \(file.bytes.count - header.dataOffset)",
                fix: "The file is truncated or its header lies; re-save it")
        }
        if expectedEnd < file.bytes.count {
            throw CheckpointError(.malformed, file: path, tensor: name,
                "\(file.bytes.count - expectedEnd) unexpected bytes follow the array data of shape \(Shape.describe(header.shape))",
                fix: "The header understates the shape or something was appended; re-save the file")
        }
        tensors = [TensorInfo(name: name, dtype: header.dtype, shape: header.shape)]
    }

    /// `weights/pos_embedding.npy` holds the tensor `pos_embedding`.
    static func tensorName(for path: String) -> String {
        var name = path.split(separator: "/").last.map(String.init) ?? path
        if name.lowercased().hasSuffix(".npy") { name.removeLast(4) }
        return name
    }

    func read(_ name: String) throws(CheckpointError) -> Tensor {
        guard name == tensors[0].name else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "no such tensor; this file holds only '\(tensors[0].name)'")
        }
        do {
            return try header.tensor(from: file.borrow(header.dataOffset..<(header.dataOffset + header.byteCount)))
        } catch {
            throw error.about(file: path, tensor: name)
        }
    }
}
