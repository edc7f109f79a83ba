// swift-tools-version: 6.2
import PackageDescription

// Tubelet is Linux-only for now: the code calls glibc and Linux directly (renameat2, posix_fadvise,
// signal handling around libhdf5), and the packaging assumes Debian/Ubuntu paths.
#if !os(Linux)
#error("Tubelet builds on Linux only (Debian 12 / Ubuntu with Swift 6.2 or later); see README.md")
#endif

// Debian/Ubuntu: `hdf5.pc` is an update-alternatives link that flips to the MPI build when an
// MPI flavour of libhdf5 is installed; the serial one is named explicitly.
let hdf5PkgConfig = "hdf5-serial"

// How libhdf5 is linked. By default, the shared library found through pkg-config, as any
// package would. With TUBELET_STATIC_HDF5=1 (the release build, Scripts/build-release.sh, on
// Debian or Ubuntu), libhdf5.a is linked in instead: the binary no longer needs libhdf5's
// soname at run time, and it starts ~5 ms sooner, because Debian's shared libhdf5 pulls in
// libcurl and its ~30 libraries (for an S3 driver Tubelet never uses), and loading them was
// a third of a metadata-only `inspect`. pkg-config would add `-lhdf5` ahead of the archive,
// so in that mode the Debian paths are given directly.
let staticHDF5 = Context.environment["TUBELET_STATIC_HDF5"] == "1"
#if arch(arm64)
let debianHDF5 = "/usr/lib/aarch64-linux-gnu/hdf5/serial"
#else
let debianHDF5 = "/usr/lib/x86_64-linux-gnu/hdf5/serial"
#endif
let hdf5Linking: [LinkerSetting] = staticHDF5
    ? [.unsafeFlags(["-L\(debianHDF5)"]), .linkedLibrary(":libhdf5.a"), .linkedLibrary("sz"),
       .linkedLibrary("z"), .linkedLibrary("dl"), .linkedLibrary("m")]
    : [.linkedLibrary("hdf5")]
let hdf5Headers: [SwiftSetting] = staticHDF5 ? [.unsafeFlags(["-Xcc", "-I/usr/include/hdf5/serial"])] : []

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Tubelet",
    products: [
        .library(name: "TensorIO", targets: ["TensorIO"]),
        .library(name: "Porting", targets: ["Porting"]),
        .executable(name: "tubelet", targets: ["tubelet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // MARK: - Public API
        .target(
            name: "TensorIO",
            dependencies: ["CHDF5", "CLibzip", "CPlatform"],
            swiftSettings: strictSettings + hdf5Headers,
            linkerSettings: hdf5Linking
        ),
        .target(
            name: "Porting",
            dependencies: ["TensorIO"],
            swiftSettings: strictSettings,
            plugins: ["EmbedBuiltinSchemas"]
        ),
        .executableTarget(
            name: "tubelet",
            dependencies: [
                "TensorIO",
                "Porting",
                "CInterruptCleanup",
                "CSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - Implementation details
        // The command's signal handler for interrupts, in C because it may only make
        // async-signal-safe calls (see its source).
        .target(name: "CInterruptCleanup"),
        // The seccomp filter the command puts on itself (see its source for what it covers).
        .target(name: "CSandbox"),
        // Schemas/*.json compiled into Porting at build time (see the plugin).
        .plugin(name: "EmbedBuiltinSchemas", capability: .buildTool(), dependencies: ["SchemaCompiler"]),
        .executableTarget(name: "SchemaCompiler"),
        // TensorIO's C helpers: renameat2(RENAME_EXCHANGE), which Swift's Glibc cannot see,
        // and the CRC-32 kernel (carry-less multiplication, zlib for the rest).
        .target(name: "CPlatform", linkerSettings: [.linkedLibrary("z")]),
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: staticHDF5 ? nil : hdf5PkgConfig,
            providers: [.apt(["libhdf5-dev"])]
        ),
        .systemLibrary(
            name: "CLibzip",
            pkgConfig: "libzip",
            providers: [.apt(["libzip-dev"])]
        ),

        // MARK: - Tests
        // What the test targets share: the repository's paths, temporary directories, and
        // running the built `tubelet`.
        .target(name: "TubeletTestSupport", path: "Tests/TestSupport", swiftSettings: strictSettings),
        .testTarget(
            name: "TensorIOTests",
            dependencies: ["TensorIO", "TubeletTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PortingTests",
            dependencies: ["Porting", "TensorIO", "TubeletTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "tubeletTests",
            dependencies: ["tubelet", "TensorIO", "Porting", "TubeletTestSupport"],
            // The --help snapshots, read from the source tree by HelpSnapshotTests.
            exclude: ["Snapshots"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
