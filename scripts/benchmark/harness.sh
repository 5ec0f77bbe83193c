# Shared by the benchmark scripts (sourced, not run): make_harness DIR [nir] makes a throw-away Swift package in DIR
# with the simulator's sources linked (not copied) and an executable target `bench` whose main.swift the caller
# writes. With `nir`, the NIR library (and its HDF5 system library) is linked too and `bench` may import NIR.
make_harness() {
    local harness=$1 with_nir=${2:-} repo targets extra="" bench_dependencies='"SNNSimulator"'
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    mkdir -p "$harness/Sources/bench"
    targets=(CSGEMM SNNLinearAlgebra SNNSupport SNNSimulator SNNModel CKernels)
    if [ "$with_nir" = nir ]; then
        targets+=(CHDF5 NIR)
        extra='
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-serial"),
        .target(name: "NIR", dependencies: ["CHDF5", "SNNModel"], exclude: ["README.md"]),'
        bench_dependencies='"SNNSimulator", "NIR"'
    fi
    for target in "${targets[@]}"; do ln -sfn "$repo/Sources/$target" "$harness/Sources/$target"; done
    cat > "$harness/Package.swift" <<SWIFT
// swift-tools-version: 6.0
import PackageDescription
let package = Package(
    name: "bench",
    targets: [
        .target(name: "CSGEMM", exclude: ["README.md"]),
        .target(name: "SNNLinearAlgebra", dependencies: ["CSGEMM"], exclude: ["README.md"]),
        .target(name: "SNNSupport", exclude: ["README.md"]),
        .target(name: "SNNModel", exclude: ["README.md"]),
        .target(name: "CKernels"),
        .target(name: "SNNSimulator", dependencies: ["SNNSupport", "SNNModel", "SNNLinearAlgebra", "CKernels"],
                exclude: ["README.md"]),$extra
        .executableTarget(name: "bench", dependencies: [$bench_dependencies]),
    ]
)
SWIFT
}
