/// Where a text first stops being JSON, in the terms an editor shows: line and column.
///
/// Foundation's decoder says only "The given data was not valid JSON"; a user fixing a
/// hand-written schema or config needs the place.
public struct JSONSyntaxError: Sendable, Equatable, CustomStringConvertible {
    /// 1-based line and column (in bytes) of the first offending character.
    public var line: Int
    public var column: Int
    public var reason: String

    /// The first syntax error in `bytes`, or nil when they are one valid JSON value.
    public static func find(in bytes: [UInt8]) -> JSONSyntaxError? {
        do {
            _ = try StrictJSON.parse(bytes)
            return nil
        } catch {
            let before = bytes.prefix(min(error.offset, bytes.count))
            let line = before.count { $0 == UInt8(ascii: "\n") } + 1
            let column = before.count - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
            return JSONSyntaxError(line: line, column: column, reason: error.reason)
        }
    }

    public var description: String { "line \(line), column \(column): \(reason)" }
}
