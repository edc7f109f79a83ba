/// A choice a caller of the libraries makes: a safety limit, a read or write option, an option
/// of an inflation or a conversion.
///
/// Errors and reports name settings as values (``SettingText``), never as a program's own
/// spelling of them: the `tubelet` command renders each as its flag, another program as it
/// likes. The raw value is the setting's name in the Swift API, which is how a program that
/// prints an error without its own names sees it.
///
/// An open set, like an enum other modules can extend: Porting adds the settings of its
/// pipeline (`Setting.heads`, `Setting.classes` …).
public struct Setting: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}

extension Setting {
    /// ``Limits/maxNPYHeaderBytes``.
    public static let maxNPYHeaderBytes = Setting(rawValue: "Limits.maxNPYHeaderBytes")
    /// ``Limits/maxHeaderBytes``.
    public static let maxHeaderBytes = Setting(rawValue: "Limits.maxHeaderBytes")
    /// ``Limits/maxDecompressedBytes``.
    public static let maxDecompressedBytes = Setting(rawValue: "Limits.maxDecompressedBytes")
    /// ``Limits/maxExpansionRatio``.
    public static let maxExpansionRatio = Setting(rawValue: "Limits.maxExpansionRatio")
    /// ``Limits/maxTensorCount``.
    public static let maxTensorCount = Setting(rawValue: "Limits.maxTensorCount")
    /// ``Limits/maxRank``.
    public static let maxRank = Setting(rawValue: "Limits.maxRank")
    /// ``ReadOptions/opaqueTwoByteAsBFloat16``.
    public static let opaqueTwoByteAsBFloat16 = Setting(rawValue: "ReadOptions.opaqueTwoByteAsBFloat16")
    /// The format an output is written in (``CheckpointFormat``, or a Hugging Face directory).
    public static let outputFormat = Setting(rawValue: "format")
    /// ``WriteOptions/maxShardBytes``.
    public static let maxShardBytes = Setting(rawValue: "WriteOptions.maxShardBytes")
    /// Replacing an existing output (`overwrite: true`).
    public static let overwrite = Setting(rawValue: "overwrite")
    /// The layout a conversion writes (Porting's ``Setting`` values name the rest of its
    /// pipeline; this one is here because a Keras file's metadata can need it).
    public static let targetLayout = Setting(rawValue: "Pipeline.convert(to:)")
}
