/// The one error type a checkpoint operation throws: it names the file, the tensor or
/// archive member where there is one, the cause, and a fix where there is one.
///
/// Every message is written for the person who ran the command; the settings it names (a
/// limit, an option) are ``Setting`` values that the command line prints as its flags
/// (``description(naming:)``).
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
        /// The output exists and overwriting it was not asked for, or the output is an input.
        case outputRefused
        /// The request itself is inconsistent with the data (a cast of a non-float, …).
        case invalidRequest
    }

    public var kind: Kind
    /// The file the error is about.
    public var file: String
    /// The tensor (or archive member) the error is about, if any.
    public var tensor: String?
    /// What went wrong, as one sentence without a trailing period; the settings it names are
    /// values, for the caller to name its own way.
    public var reasonText: SettingText
    /// What the user can do about it, if anything, naming settings as values.
    public var fixText: SettingText?

    public init(_ kind: Kind, file: String, tensor: String? = nil, _ reason: SettingText, fix: SettingText? = nil) {
        self.kind = kind
        self.file = file
        self.tensor = tensor
        self.reasonText = reason
        self.fixText = fix
    }

    public init(_ kind: Kind, file: String, tensor: String? = nil, _ reason: String, fix: String? = nil) {
        self.init(kind, file: file, tensor: tensor, SettingText(verbatim: reason), fix: fix.map(SettingText.init(verbatim:)))
    }

    /// What went wrong, settings named as the Swift API names them.
    public var reason: String { reasonText.description }
    /// What the user can do about it, settings named as the Swift API names them.
    public var fix: String? { fixText?.description }
    /// The settings the reason and the fix name: which limit, which option.
    public var settings: [Setting] { reasonText.settings + (fixText?.settings ?? []) }

    public var description: String { description(naming: \.rawValue) }

    /// The message with each setting named by `name` (a command line's flags).
    public func description(naming name: (Setting) -> String) -> String {
        var text = file
        if let tensor { text += ": '\(tensor)'" }
        text += ": \(reasonText.rendered(name))"
        if let fixText { text += ". \(fixText.rendered(name))" }
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
