import Testing
@testable import TensorIO

@Suite("Python literal parser for .npy headers")
struct PythonLiteralParserTests {
    @Test("Parses the header numpy writes")
    func numpyHeader() throws {
        let literal = try PythonLiteralParser.parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n")
        #expect(literal == .dictionary([
            "descr": .string("<f4"), "fortran_order": .boolean(false), "shape": .tuple([.integer(2), .integer(3)]),
        ], order: ["descr", "fortran_order", "shape"]))
    }

    @Test("One-element and empty tuples, and a parenthesised integer", arguments: [
        ("(3,)", PythonLiteral.tuple([.integer(3)])),
        ("()", .tuple([])),
        ("(3)", .integer(3)),
        ("( 1 , 2 , )", .tuple([.integer(1), .integer(2)])),
        ("2L", .integer(2)),
        ("\"<i8\"", .string("<i8")),
        ("[('a', '<f4')]", .list([.tuple([.string("a"), .string("<f4")])])),
        ("-7", .integer(-7)),
        ("None", .none),
    ])
    func literals(text: String, expected: PythonLiteral) throws {
        #expect(try PythonLiteralParser.parse(text) == expected)
    }

    @Test("Refuses anything that is not a literal", arguments: [
        "{'descr': __import__('os').system('true')}",
        "{'shape': (2**40,)}",
        "{'shape': (1.5,)}",
        "{'a': 1 'b': 2}",
        "{'a': 1, 'a': 2}",
        "{'a': 1",
        "'unterminated",
        "(1, 2) trailing",
        "{1: 2}",
        "99999999999999999999999",
        String(repeating: "(", count: 40) + String(repeating: ")", count: 40),
    ])
    func refusals(text: String) {
        #expect(throws: PythonLiteralParser.SyntaxError.self) { try PythonLiteralParser.parse(text) }
    }
}
