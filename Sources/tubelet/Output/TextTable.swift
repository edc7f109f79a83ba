/// Plain-text tables with padded columns, for terminal output.
enum TextTable {
    /// Renders `rows` (the first is the header) with two spaces between columns.
    static func render(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        guard let columnCount = rows.map(\.count).max() else { return "" }
        // Each cell's width is counted once, in Characters as a terminal shows them, and the
        // text is built as UTF-8 bytes in one buffer: `inspect` renders a row per tensor, and
        // building it from String pieces was a tenth of listing ViT-L.
        let cellWidths = rows.map { $0.map(displayWidth) }
        var widths = [Int](repeating: 0, count: columnCount)
        for row in cellWidths {
            for (column, width) in row.enumerated() { widths[column] = max(widths[column], width) }
        }
        var text: [UInt8] = []
        text.reserveCapacity(rows.count * (widths.reduce(0, +) + 2 * columnCount + 1))
        let space = UInt8(ascii: " ")
        for (row, rowWidths) in zip(rows, cellWidths) {
            for (column, cell) in row.enumerated() {
                if column > 0 { text.append(contentsOf: [space, space]) }
                let padding = widths[column] - rowWidths[column]
                if rightAligned.contains(column) {
                    text.append(contentsOf: repeatElement(space, count: padding))
                    text.append(contentsOf: cell.utf8)
                } else {
                    text.append(contentsOf: cell.utf8)
                    if column < row.count - 1 { text.append(contentsOf: repeatElement(space, count: padding)) }
                }
            }
            text.append(UInt8(ascii: "\n"))
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The cell's width in Characters; for ASCII text (nearly every cell) that is its byte
    /// count, without grapheme breaking.
    private static func displayWidth(_ cell: String) -> Int {
        cell.utf8.allSatisfy { $0 < 0x80 } ? cell.utf8.count : cell.count
    }
}
