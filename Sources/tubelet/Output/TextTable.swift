/// Plain-text tables with padded columns, for terminal output.
enum TextTable {
    /// Renders `rows` (the first is the header) with two spaces between columns.
    static func render(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        guard let columnCount = rows.map(\.count).max() else { return "" }
        // Each cell's width is counted once (in Characters, as a terminal shows them), and
        // the text is built in place: `inspect` renders a row per tensor.
        let cellWidths = rows.map { $0.map(\.count) }
        var widths = [Int](repeating: 0, count: columnCount)
        for row in cellWidths {
            for (column, width) in row.enumerated() { widths[column] = max(widths[column], width) }
        }
        var text = ""
        for (row, rowWidths) in zip(rows, cellWidths) {
            for (column, cell) in row.enumerated() {
                if column > 0 { text += "  " }
                let padding = String(repeating: " ", count: widths[column] - rowWidths[column])
                if rightAligned.contains(column) {
                    text += padding + cell
                } else {
                    text += cell
                    if column < row.count - 1 { text += padding }
                }
            }
            text += "\n"
        }
        return text
    }
}
