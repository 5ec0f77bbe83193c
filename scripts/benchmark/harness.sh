# Shared by the benchmark scripts (sourced, not run): make_harness DIR makes a throw-away Swift package in DIR with
# the simulator's sources linked (not copied) and an executable target `bench` whose main.swift the caller writes.
make_harness() {
    local harness=$1 repo
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    mkdir -p "$harness/Sources/bench"
    for target in SNNSupport SNNSimulator SNNModel CKernels; do ln -sfn "$repo/Sources/$target" "$harness/Sources/$target"; done
    cat > "$harness/Package.swift" <<'SWIFT'
// swift-tools-version: 6.0
import PackageDescription
let package = Package(
    name: "bench",
    targets: [
        .target(name: "SNNSupport", exclude: ["README.md"]),
        .target(name: "SNNModel", exclude: ["README.md"]),
        .target(name: "CKernels"),
        .target(name: "SNNSimulator", dependencies: ["SNNSupport", "SNNModel", "CKernels"], exclude: ["README.md"]),
        .executableTarget(name: "bench", dependencies: ["SNNSimulator"]),
    ]
)
SWIFT
}
