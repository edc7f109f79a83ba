import Foundation
import Synchronization
import Testing
import TubeletTestSupport
@testable import TensorIO

#if canImport(Glibc)
import Glibc
#endif

extension HDF5Tests {
    @Suite("libhdf5 handles and diagnostics")
    struct Handles {
        /// The malformed fixtures, each of which fails somewhere between opening and reading.
        static let failingFixtures = [
            "h5-truncated.h5", "h5-bad-superblock.h5", "h5-lzf-filter.h5", "h5-blosc-filter.h5", "h5-compound.h5",
            "h5-vlen-int.h5", "h5-string-dataset.h5", "h5-opaque-2byte.h5", "h5-enum-not-bool.h5", "h5-float8.h5",
            "h5-null-dataspace.h5", "h5-external-storage.h5", "h5-libver-latest-chunked.h5", "h5-huge-unwritten.h5",
            "h5-contiguous-offset-past-eof.h5", "keras2-missing-weight.h5", "keras2-missing-layer.h5",
            "keras2-weight-names-int.h5", "keras-member-not-hdf5.keras", "keras-member-crc-mismatch.keras",
            "h5-corrupt-gzip-chunk.h5",
        ]

        /// Opens `path` and reads every tensor; returns the error, if any.
        static func readFully(_ path: String) -> CheckpointError? {
            do {
                _ = try HDF5Tests.readAll(try Checkpoint.open(path))
                return nil
            } catch let error as CheckpointError {
                return error
            } catch {
                Issue.record("unexpected error type: \(error)")
                return nil
            }
        }

        @Test("No libhdf5 identifier stays open after reads, writes and failures")
        func noLeaks() throws {
            let directory = TestDirectory()
            let before = HDF5Library.openCounts()
            #expect(before == HDF5Library.OpenCounts(fileObjects: 0, handles: 0), "something else left HDF5 open")

            // Reads, including the in-memory image of a .keras archive. Files are closed
            // *strongly*, which would also close a leaked dataset or group: so check while
            // each source is open that it holds nothing but its file.
            for sample in ["ViT-tiny_keras3.weights.h5", "ViT-tiny_keras3-bf16.weights.h5", "ViT-tiny_keras3.keras", "ViT-tiny_16.h5"] {
                let source = try #require(try Checkpoint.open(HDF5Tests.checkpoint(sample)) as? HDF5Source)
                _ = try HDF5Tests.readAll(source)
                #expect(HDF5Library.openObjectCount(in: source.file) == 1, "\(sample)")
                #expect(HDF5Library.openCounts() == HDF5Library.OpenCounts(fileObjects: 1, handles: 1), "\(sample)")
            }
            // Writes, stored and compressed, checked the same way before the file closes.
            for compression in [WriteOptions.Compression.stored, .deflate(level: 4)] {
                let output = try HDF5OutputFile(path: directory.file("direct-\(compression).h5"))
                try output.createGroup("group")
                try output.writeDataset("group/weights", Tensor(float32: [1, 2, 3, 4], shape: [2, 2]), compression: compression)
                try output.writeDataset("half", Tensor(dtype: .bfloat16, shape: [2], bytes: TensorBytes([0x80, 0x3f, 0, 0])), compression: compression)
                try output.writeRootAttribute("note", "text")
                #expect(output.openObjectCount == 1)
                #expect(HDF5Library.openCounts() == HDF5Library.OpenCounts(fileObjects: 1, handles: 1))
                try output.close()
                try Checkpoint.write(try HDF5Tests.everyDType(), to: directory.file("out-\(compression).h5"),
                                     options: WriteOptions(compression: compression))
            }
            // A write that fails half-way.
            #expect(throws: CheckpointError.self) {
                try Checkpoint.write(FailingSource(failingAfter: 3), to: directory.file("failed.h5"))
            }
            // Every way a file can be refused, at open or at read.
            for fixture in Self.failingFixtures {
                #expect(Self.readFully(HDF5Tests.malformedFixture(fixture)) != nil, "\(fixture) was read without error")
            }

            #expect(HDF5Library.openCounts() == before)
        }

        @Test("libhdf5 prints no diagnostics on any thread, however many fail at once")
        func silentOnEveryThread() throws {
            let directory = TestDirectory()
            let capture = directory.file("stderr")
            let saved = dup(STDERR_FILENO)
            let sink = open(capture, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            try #require(saved >= 0 && sink >= 0)
            dup2(sink, STDERR_FILENO)
            close(sink)
            let errors = Mutex([String]())
            // Threads the test did not set up in any way, each failing inside libhdf5.
            DispatchQueue.concurrentPerform(iterations: 8) { index in
                let fixture = Self.failingFixtures[index % Self.failingFixtures.count]
                let error = Self.readFully(HDF5Tests.malformedFixture(fixture))
                errors.withLock { $0.append(error?.description ?? "no error for \(fixture)") }
            }
            fflush(nil)
            dup2(saved, STDERR_FILENO)
            close(saved)
            let printed = (try? String(contentsOfFile: capture, encoding: .utf8)) ?? ""
            #expect(!printed.contains("HDF5-DIAG"), "libhdf5 printed diagnostics:\n\(printed)")
            #expect(errors.withLock { $0.count } == 8)
            #expect(errors.withLock { $0.allSatisfy { !$0.hasPrefix("no error") } })
        }

        @Test("Errors carry HDF5's own error stack")
        func errorStack() {
            let error = Self.readFully(HDF5Tests.malformedFixture("h5-truncated.h5"))
            #expect(error?.kind == .truncated)
            #expect(error?.reason.contains("[HDF5 error stack: H5Fopen(): unable to open file;") == true)
            #expect(error?.reason.contains("stored_eof") == true)
        }
    }
}
