/// JSON string literals spelled exactly as the reference writers spell them, so that files
/// Tubelet writes are byte-identical to theirs.
enum JSONText {
    /// `text` as serde_json writes it (the safetensors library's header): `"` and `\`
    /// escaped, `\b \f \n \r \t` by name, other control characters as lower-case `\u00xx`,
    /// everything else (`/`, DEL, non-ASCII) as is.
    static func serdeQuoted(_ text: String) -> String {
        quoted(text, asciiOnly: false)
    }

    /// `text` as Python's `json.dumps` writes it with its default `ensure_ascii=True` (the
    /// Hugging Face shard index): like serde_json, but every character outside ASCII and
    /// DEL-free printable range becomes `\uXXXX` (UTF-16 surrogate pairs above U+FFFF).
    static func pythonQuoted(_ text: String) -> String {
        quoted(text, asciiOnly: true)
    }

    /// The two writers differ only in what they leave unescaped above the control range.
    private static func quoted(_ text: String, asciiOnly: Bool) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0c}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || (asciiOnly && scalar.value > 0x7e):
                for unit in String(scalar).utf16 {
                    out += "\\u" + String(unit, radix: 16).leftPadded(to: 4)
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
