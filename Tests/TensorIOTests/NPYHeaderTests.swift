import Testing
@testable import TensorIO

@Suite(".npy headers")
struct NPYHeaderTests {
    func parse(_ bytes: [UInt8], options: ReadOptions = ReadOptions()) throws -> NPYHeader {
        try bytes.withUnsafeBytes { try NPYHeader.parse($0, options: options) }
    }

    @Test("Renders np.save's exact header for float32 (2, 3)")
    func rendersNumpyHeader() throws {
        let header = NPYHeader.render(dtype: .float32, shape: [2, 3])
        // np.save: header length 118, data at 128, growth spaces after the closing brace.
        #expect(header.count == 128)
        #expect(Array(header.prefix(10)) == [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0])
        let text = String(decoding: header[10...], as: UTF8.self)
        #expect(text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + String(repeating: " ", count: 20)))
        #expect(text.hasSuffix(" \n"))
    }

    @Test("Rendered headers parse back and align data to 64 bytes", arguments: [
        [], [0], [1], [7], [2, 3], [123_456], [1, 197, 768], [16, 16, 3, 768], [Int(Int32.max), 1],
    ])
    func roundTrip(shape: [Int]) throws {
        for dtype in DType.allCases {
            let bytes = NPYHeader.render(dtype: dtype, shape: shape)
            #expect(bytes.count % 64 == 0)
            let header = try parse(bytes, options: ReadOptions(opaqueTwoByteAsBFloat16: true))
            #expect(header.dtype == dtype)
            #expect(header.shape == shape)
            #expect(header.dataOffset == bytes.count)
            #expect(!header.isFortranOrder && !header.isBigEndian)
        }
    }

    @Test("np.save's own form is read directly, to the general parser's value; any other text is left to it", arguments: [
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n", true),
        ("{'descr': '|b1', 'fortran_order': True, 'shape': (), }\n", true),
        ("{'descr': '>i8', 'fortran_order': False, 'shape': (123456789012345678,), }", true),
        ("{'descr': '<V2', 'fortran_order': False, 'shape': (0, 1, 2, 3, 4), }  \n", true),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (01, 2), }", true),
        // Not np.save's form, or beyond what the fast path reads.
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1234567890123456789,), }", false),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (3), }", false),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3,), }", false),
        ("{'descr': 'a\\'b', 'fortran_order': False, 'shape': (2,), }", false),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", false),
        ("{'fortran_order': False, 'descr': '<f4', 'shape': (2,), }", false),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\t", false),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", false),
        ("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", false),
        ("{'descr': 'é', 'fortran_order': False, 'shape': (2,), }", false),
    ])
    func canonicalForm(text: String, takesFastPath: Bool) throws {
        let fast = NPYHeader.canonicalLiteral(Array(text.utf8))
        #expect((fast != nil) == takesFastPath)
        if let fast {
            #expect(fast == (try PythonLiteralParser.parse(text)))
        }
    }

    @Test("Every header np.save writes takes the fast path", arguments: [[], [0], [5], [2, 3], [1, 197, 768], [16, 16, 3, 768]])
    func renderedHeadersAreCanonical(shape: [Int]) {
        for dtype in DType.allCases {
            let bytes = NPYHeader.render(dtype: dtype, shape: shape)
            let text = Array(bytes[10...])
            #expect(NPYHeader.canonicalLiteral(text) != nil, "\(dtype) \(shape)")
            #expect(NPYHeader.canonicalLiteral(text) == (try? PythonLiteralParser.parse(String(decoding: text, as: UTF8.self))))
        }
    }

    @Test("Reads every descr spelling numpy accepts for our dtypes", arguments: [
        ("<f4", DType.float32, false), (">f8", .float64, true), ("=i2", .int16, false), ("f2", .float16, false),
        ("|b1", .bool, false), ("|u1", .uint8, false), (">i1", .int8, false), ("<u8", .uint64, false),
        (">u4", .uint32, true), ("float32", .float32, false), ("<V2", .bfloat16, false),
    ])
    func descriptors(descr: String, dtype: DType, bigEndian: Bool) throws {
        let decoded = try NPYDescr.decode(descr, opaqueTwoByteAsBFloat16: true)
        #expect(decoded == NPYDescr.Decoded(dtype: dtype, isBigEndian: bigEndian))
    }

    @Test("Refuses object, complex, string, datetime and unflagged opaque dtypes, saying why", arguments: [
        ("|O", "pickled Python objects"), ("<c8", "complex"), ("|S3", "byte-string"), ("<U4", "unicode-string"),
        ("<M8[s]", "datetime"), ("<f1", "unsupported float width"), ("<V2", "ReadOptions.opaqueTwoByteAsBFloat16"), ("<V4", "opaque"),
    ])
    func refusedDescriptors(descr: String, fragment: String) {
        do {
            _ = try NPYDescr.decode(descr, opaqueTwoByteAsBFloat16: false)
            Issue.record("\(descr) was accepted")
        } catch {
            #expect((error.reason + (error.fix.map { "\($0)" } ?? "")).contains(fragment))
        }
    }

    @Test("Version 2.0 and 3.0 headers use a 4-byte length")
    func laterVersions() throws {
        for version: UInt8 in [2, 3] {
            let text = Array("{'descr': '<i8', 'fortran_order': True, 'shape': (4, 5)}\n".utf8)
            let length = UInt32(text.count)
            let bytes = NPYHeader.magic + [version, 0] + withUnsafeBytes(of: length.littleEndian, Array.init) + text
            let header = try parse(bytes)
            #expect(header.shape == [4, 5] && header.isFortranOrder && header.dtype == .int64)
            #expect(header.dataOffset == 12 + text.count)
        }
    }

    @Test("Refuses other versions, oversized headers and bad fields", arguments: [
        ([UInt8]([1, 1]), "{'descr': '<f4', 'fortran_order': False, 'shape': ()}", "version 1.1"),
        ([4, 0], "{'descr': '<f4', 'fortran_order': False, 'shape': ()}", "version 4.0"),
        ([1, 0], "{'descr': '<f4', 'shape': ()}", "expected exactly descr, fortran_order, shape"),
        ([1, 0], "{'descr': '<f4', 'fortran_order': 0, 'shape': ()}", "fortran_order"),
        ([1, 0], "{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", "not a tuple"),
        ([1, 0], "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", "negative"),
        ([1, 0], "{'descr': '<f4', 'fortran_order': False, 'shape': (True,)}", "True"),
        ([1, 0], "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4)}", "overflows"),
        ([1, 0], "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': ()}", "structured"),
    ])
    func refusals(version: [UInt8], text: String, fragment: String) {
        let body = Array(text.utf8)
        let bytes = NPYHeader.magic + version + [UInt8(body.count & 0xff), UInt8(body.count >> 8)] + body
        do {
            _ = try parse(bytes)
            Issue.record("accepted: \(text)")
        } catch let problem as NPYHeader.Problem {
            #expect(problem.reason.contains(fragment), "\(problem.reason)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("The header size cap is numpy's 10000 bytes, and can be raised")
    func headerCap() throws {
        let padding = String(repeating: " ", count: 10_050)
        let body = Array("{'descr': '<f4', 'fortran_order': False, 'shape': ()}\(padding)\n".utf8)
        let bytes = NPYHeader.magic + [2, 0] + withUnsafeBytes(of: UInt32(body.count).littleEndian, Array.init) + body
        #expect(throws: NPYHeader.Problem.self) { try parse(bytes) }
        var options = ReadOptions()
        options.limits.maxNPYHeaderBytes = 20_000
        #expect(try parse(bytes, options: options).shape == [])
    }
}
