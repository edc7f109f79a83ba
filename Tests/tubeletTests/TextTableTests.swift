import Testing
@testable import tubelet

@Suite("Text tables")
struct TextTableTests {
    @Test("A cell's width is its Character count, by the byte path for ASCII and by Characters otherwise", arguments: [
        "", "cls", "Transformer/encoderblock_0/LayerNorm_0/scale", "[1, 197, 1024]", "a\r\nb", "\r", "\n\n", "é", "e\u{301}", "日本", "👩‍👩‍👧",
    ])
    func width(cell: String) {
        #expect(TextTable.width(cell) == cell.count)
    }

    @Test("Columns are padded to the widest cell, numbers right-aligned, the last column unpadded")
    func render() {
        let text = TextTable.render([["NAME", "N"], ["a", "10"], ["long-name", "7"], ["é\r\nx", "1"]], rightAligned: [1])
        #expect(text == "NAME        N\na          10\nlong-name   7\né\r\nx         1\n")
    }
}
