/// The one error type a checkpoint operation throws: it names the file, the tensor or
/// archive member where there is one, the cause, and a fix where there is one.
///
/// Its `description` is exactly what the command line prints after `Error: `, so every
/// message is written for the person who ran the command.
public struct CheckpointError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The broad class of failure, for programs that want to react to it.
    public enum Kind: String, Sendable {
        /// The file does not exist or cannot be opened.
        case cannotOpen
        /// The bytes are not any format Tubelet recognises.
        case unrecognisedFormat
        /// The format is recognised but Tubelet does not read or write it (yet).
        case unsupported
        /// The file breaks its format's rules.
        case malformed
        /// The file ends before the data its headers promise.
        case truncated
        /// A declared size exceeds a safety limit or the data that backs it.
        case limitExceeded
        /// Reading or writing failed at the operating-system level.
        case io
        /// The output exists and `--force` was not given, or the output is an input.
        case outputRefused
        /// The request itself is inconsistent with the data (a cast of a non-float, …).
        case invalidRequest
    }

    public var kind: Kind
    /// The file the error is about.
    public var file: String
    /// The tensor (or archive member) the error is about, if any.
    public var tensor: String?
    /// What went wrong, as one sentence without a trailing period.
    public var reason: String
    /// What the user can do about it, if anything.
    public var fix: String?

    public init(_ kind: Kind, file: String, tensor: String? = nil, _ reason: String, fix: String? = nil) {
        self.kind = kind
        self.file = file
        self.tensor = tensor
        self.reason = reason
        self.fix = fix
    }

    public var description: String {
        var text = file
        if let tensor { text += ": '\(tensor)'" }
        text += ": \(reason)"
        if let fix { text += ". \(fix)" }
        return text
    }

    /// The same error about `file` and `tensor`, for layers below that only knew a member
    /// name, or nothing (an allocation failure).
    func about(file: String, tensor name: String) -> CheckpointError {
        var copy = self
        if copy.file == "<memory>" { copy.file = file }
        copy.tensor = name
        return copy
    }
}
