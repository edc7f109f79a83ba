import ArgumentParser

/// An option value that knows how it is written and how to say what is wrong with a bad one.
protocol OptionValue: ExpressibleByArgument {
    /// The value `text` spells; nil when it spells none.
    init?(parsing text: String)
    /// The usage error for `text`, which spells no value.
    static func invalidMessage(_ text: String) -> String
}

extension OptionValue {
    init?(argument: String) {
        self.init(parsing: argument)
    }
}

/// An option value parsed once, as the arguments are, to its type.
///
/// A value that does not parse is kept with its text, so that `validate()` refuses it with
/// the command's own message ("--tubelet must be TxHxW, e.g. 2x16x16, not '2x16'") where
/// ArgumentParser's own would be the generic "The value '2x16' is invalid".
enum Checked<Value: OptionValue>: ExpressibleByArgument {
    case valid(Value, text: String)
    case invalid(String)

    init(argument: String) {
        self = Value(parsing: argument).map { .valid($0, text: argument) } ?? .invalid(argument)
    }

    /// The value, or the usage error for its text.
    func value() throws -> Value {
        switch self {
        case .valid(let value, _): return value
        case .invalid(let text): throw ValidationError(Value.invalidMessage(text))
        }
    }

    var defaultValueDescription: String {
        switch self {
        case .valid(_, let text), .invalid(let text): text
        }
    }
}
