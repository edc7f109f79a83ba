/// One exact rewrite of a canonical ViT into the form a ViViT can express: what was done,
/// to which tensors, and how exact it is.
///
/// A rewrite is recorded in the inflation report and printed with the summary, so nothing
/// about the model is changed silently, even where the arithmetic is exact.
public struct ExactRewrite: Codable, Sendable, Equatable {
    /// Which rewrite: `layer-scale`, `class-position`, `zero-bias`.
    public var method: String
    /// The canonical tensors it changed or made.
    public var tensors: [String]
    /// The input file's tensors involved.
    public var fileTensors: [String]
    /// What was done and why the result computes what the source computed.
    public var detail: String

    public init(method: String, tensors: [String], fileTensors: [String], detail: String) {
        self.method = method
        self.tensors = tensors
        self.fileTensors = fileTensors
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey {
        case method, tensors, detail
        case fileTensors = "file_tensors"
    }
}
