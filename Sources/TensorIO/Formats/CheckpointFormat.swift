/// A file format Tubelet knows of, whether or not it reads or writes it yet.
public enum CheckpointFormat: String, CaseIterable, Sendable, Codable {
    case npy
    case npz
    case hdf5
    case safetensors
    case pytorch
    case keras
    /// Flax `msgpack_serialize` trees (scenic checkpoints).
    case msgpack

    /// The reader for this format, or nil where Tubelet does not read it yet.
    public var reader: (any CheckpointReader)? {
        switch self {
        case .npy: NPYReader()
        case .npz: NPZReader()
        case .safetensors: SafeTensorsReader()
        case .pytorch: PyTorchReader()
        case .hdf5: HDF5Reader()
        case .keras: KerasReader()
        case .msgpack: FlaxMsgpackReader()
        }
    }

    /// The writer for this format, or nil where Tubelet does not write it yet.
    public var writer: (any CheckpointWriter)? {
        switch self {
        case .npy: NPYWriter()
        case .npz: NPZWriter()
        case .safetensors: SafeTensorsWriter()
        case .pytorch: PyTorchWriter()
        case .hdf5: HDF5Writer()
        case .keras: nil
        case .msgpack: FlaxMsgpackWriter()
        }
    }

    /// The format an output path's extension asks for.
    public static func forExtension(of path: String) -> CheckpointFormat? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "npy": return .npy
        case "npz": return .npz
        case "h5", "hdf5", "he5": return .hdf5
        case "safetensors": return .safetensors
        case "pth", "pt", "bin": return .pytorch
        case "keras": return .keras
        case "msgpack": return .msgpack
        default: return nil
        }
    }

    /// Names of the formats that can be read today, for messages.
    public static var readableNames: String {
        allCases.filter { $0.reader != nil }.map(\.rawValue).joined(separator: ", ")
    }

    /// Names of the formats that can be written today, for messages.
    public static var writableNames: String {
        allCases.filter { $0.writer != nil }.map(\.rawValue).joined(separator: ", ")
    }
}
