/// Plain-text tables with padded columns, for terminal output.
enum TextTable {
    /// Renders `rows` (the first is the header) with two spaces between columns.
    static func render(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        guard let columnCount = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columnCount)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        var text = ""
        for row in rows {
            var cells: [String] = []
            for (column, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                let isLast = column == row.count - 1
                cells.append(rightAligned.contains(column) ? padding + cell : (isLast ? cell : cell + padding))
            }
            text += cells.joined(separator: "  ") + "\n"
        }
        return text
    }
}
