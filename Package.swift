// swift-tools-version: 6.0
import Foundation
import PackageDescription

// SNN_THEORY_PORTABLE=1 at build time leaves the vector kernels out of CSGEMM and CKernels: the binary then runs only
// their portable C paths, the ones a CPU without AVX2 takes. The default build chooses kernels at run time by CPU
// feature and runs on any x86-64 CPU; this build exists to check that both give the same bytes
// (scripts/check-portable.sh). See README.md, "Building".
let portableKernels: [CSetting] = ProcessInfo.processInfo.environment["SNN_THEORY_PORTABLE"].map { $0 != "" && $0 != "0" } == true
    ? [.define("SNN_PORTABLE_KERNELS")] : []

let package = Package(
    name: "snn-theory",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "snn-theory", targets: ["snn-theory"]),
        .library(name: "SNNTheory", targets: ["SNNTheory"]),
        .library(name: "SNNSimulator", targets: ["SNNSimulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // GSL without its reference CBLAS on the link line (see Sources/CGSL/README.md).
        .systemLibrary(name: "CGSL", path: "Sources/CGSL"),
        // HDF5's headers and library sit under hdf5/serial, off the default search paths (see Sources/CHDF5/README.md).
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-serial",
                       providers: [.apt(["libhdf5-dev"])]),
        // Row-major float matrix products on vector kernels chosen by CPU feature at run time, with their own thread
        // pool (see Sources/CSGEMM/README.md); the Swift face is SNNLinearAlgebra. Optimized in debug builds too:
        // unoptimized, its kernels run 100-200 times slower.
        .target(name: "CSGEMM", exclude: ["README.md"],
                cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))] + portableKernels),
        .target(name: "SNNLinearAlgebra", dependencies: ["CSGEMM"], exclude: ["README.md"]),
        // Small pieces the libraries share that belong to none of them; it imports nothing of the project.
        .target(name: "SNNSupport", exclude: ["README.md"]),
        // The values everything else takes: the network, its neuron, input and initialization, and their rules.
        .target(name: "SNNModel", exclude: ["README.md"]),
        // Each library's README (its numerical choices) is documentation, not a resource.
        .target(name: "SNNTheory", dependencies: ["SNNSupport", "SNNModel", "CGSL"],
                exclude: ["README.md", "THEORY.md"]),
        // The simulator's hot loops in C: the forward pass's sparse sums (AVX-512, AVX2 or SSE2), the normal
        // generator's fast path over eight lanes and the input lists (AVX-512 or AVX2), and the backward pass's dense
        // product W^T delta with fused multiply-adds (AVX2, or the C library's fmaf), each path chosen by a run-time
        // check of the CPU and giving the same bits as the others (see Sources/SNNSimulator/README.md).
        .target(name: "CKernels", cSettings: portableKernels),
        .target(name: "SNNSimulator", dependencies: ["SNNSupport", "SNNModel", "SNNLinearAlgebra", "CKernels"],
                exclude: ["README.md"]),
        // Sweeps, shards, their record files and the verdicts; the file formats come from SNNFormats.
        .target(name: "SNNVerification",
                dependencies: ["SNNSupport", "SNNModel", "SNNTheory", "SNNSimulator", "SNNFormats"],
                exclude: ["README.md"]),
        // JSON, CSV, tables, .npy and JSON Lines files: Foundation only, nothing of the model.
        .target(name: "SNNFormats", dependencies: ["SNNSupport"], exclude: ["README.md"]),
        // The NIR file format: the typed HDF5 layer it is read and written with, and reading a graph.
        .target(name: "NIR", dependencies: ["CHDF5", "SNNModel"], exclude: ["README.md"]),
        // No dependencies: the figures know nothing of the theory or the command line.
        .target(name: "SVGPlot", exclude: ["README.md"]),
        // Each command's report (its model record, JSON, CSV, table and figure); never the command line.
        .target(name: "SNNReports",
                dependencies: ["SNNModel", "SNNTheory", "SNNSimulator", "SNNVerification", "SNNFormats", "SVGPlot",
                               "NIR"],
                exclude: ["README.md"]),
        .executableTarget(
            name: "snn-theory",
            dependencies: [
                "SNNSupport", "SNNModel", "SNNTheory", "SNNSimulator", "SNNVerification", "SNNFormats", "SVGPlot",
                "SNNReports", "NIR",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers several test targets share: scratch paths, reading what the tool writes.
        .target(name: "SNNTestSupport", dependencies: ["SNNFormats"], path: "Tests/SNNTestSupport"),
        .testTarget(name: "SNNTheoryTests", dependencies: ["SNNTheory", "SNNModel"],
                    // The reference tables are read from the source tree (ReferenceTable), not bundled.
                    exclude: ["Reference"]),
        .testTarget(name: "SNNSimulatorTests",
                    dependencies: ["SNNSimulator", "SNNModel", "SNNTheory", "NIR", "SNNTestSupport", "CKernels"]),
        .testTarget(name: "SNNVerificationTests",
                    dependencies: ["SNNVerification", "SNNModel", "SNNTheory", "SNNSimulator", "SNNFormats",
                                   "SNNTestSupport"]),
        .testTarget(name: "SNNTheoryCLITests", dependencies: ["snn-theory", "SNNSupport", "SNNTestSupport", "NIR"]),
        .testTarget(name: "SNNModelTests", dependencies: ["SNNModel"]),
        .testTarget(name: "SNNFormatsTests", dependencies: ["SNNFormats", "SNNTestSupport"]),
        .testTarget(name: "SNNSupportTests", dependencies: ["SNNSupport"]),
        .testTarget(name: "SVGPlotTests", dependencies: ["SVGPlot"]),
        .testTarget(name: "SNNLinearAlgebraTests", dependencies: ["SNNLinearAlgebra"]),
        .testTarget(name: "NIRTests", dependencies: ["NIR", "SNNTestSupport"]),
        .testTarget(name: "SNNReportsTests",
                    dependencies: ["SNNReports", "SNNModel", "SNNTheory", "SNNSimulator", "SNNVerification", "SNNFormats",
                                   "SNNTestSupport", "NIR"]),
    ]
)
