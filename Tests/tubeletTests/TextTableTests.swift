import Testing
@testable import tubelet

@Suite("Text tables")
struct TextTableTests {
    @Test("Columns are padded to the widest cell, numbers right-aligned, the last column unpadded")
    func render() {
        let text = TextTable.render([["NAME", "N"], ["a", "10"], ["long-name", "7"], ["é\r\nx", "1"]], rightAligned: [1])
        #expect(text == "NAME        N\na          10\nlong-name   7\né\r\nx         1\n")
    }
}
