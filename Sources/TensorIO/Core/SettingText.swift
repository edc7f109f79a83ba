/// A sentence of an error or a report that may name settings: text and ``Setting`` values,
/// rendered by whoever shows it with its own names for them.
///
/// Written as a string literal with `\(setting:)` interpolations:
/// `"If the file is trusted, raise the limit with \(setting: .maxTensorCount)"`. Its
/// `description` names settings as the Swift API does; ``rendered(_:)`` takes other names.
public struct SettingText: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringInterpolation {
    public enum Piece: Sendable, Hashable {
        case text(String)
        case setting(Setting)
    }

    public var pieces: [Piece]

    public init(pieces: [Piece]) {
        self.pieces = pieces
    }

    /// Text that names no setting.
    public init(verbatim text: String) {
        pieces = text.isEmpty ? [] : [.text(text)]
    }

    public init(stringLiteral value: String) {
        self.init(verbatim: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        pieces = stringInterpolation.pieces
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var pieces: [Piece] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) {
            appendText(literal)
        }

        /// Text joins the text before it, so equal sentences have equal pieces.
        mutating func appendText(_ text: String) {
            guard !text.isEmpty else { return }
            if case .text(let previous)? = pieces.last {
                pieces[pieces.count - 1] = .text(previous + text)
            } else {
                pieces.append(.text(text))
            }
        }

        /// A setting, named by whoever renders the text.
        public mutating func appendInterpolation(setting: Setting) {
            pieces.append(.setting(setting))
        }

        public mutating func appendInterpolation<Value>(_ value: Value) {
            appendText(String(describing: value))
        }

        public mutating func appendInterpolation(_ text: SettingText) {
            for piece in text.pieces {
                switch piece {
                case .text(let text): appendText(text)
                case .setting(let setting): pieces.append(.setting(setting))
                }
            }
        }
    }

    /// The settings this text names, in order.
    public var settings: [Setting] {
        pieces.compactMap { if case .setting(let setting) = $0 { setting } else { nil } }
    }

    /// The text with each setting named by `name`.
    public func rendered(_ name: (Setting) -> String) -> String {
        pieces.map { piece in
            switch piece {
            case .text(let text): text
            case .setting(let setting): name(setting)
            }
        }.joined()
    }

    /// The text with settings named as the Swift API names them.
    public var description: String { rendered(\.rawValue) }

    /// This text followed by `other`.
    public static func + (lhs: SettingText, rhs: SettingText) -> SettingText {
        "\(lhs)\(rhs)"
    }
}
