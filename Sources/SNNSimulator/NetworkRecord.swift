import Dispatch
import Foundation

/// One network's per-layer results, as a long run streams them to its output file when the network finishes, and as
/// a resumed run takes them back: every network draws from its own random streams, so a network's record does not
/// depend on which others ran, in which order, or in which process.
public struct NetworkRecord: Sendable, Equatable {
    /// The network's index r in 0..<R.
    public let network: Int
    /// Per layer and step, layer-major: index (l - 1) * T + (t - 1).
    public let membraneMeans: [Double]
    public let membraneVariances: [Double]
    public let rates: [Double]
    /// Per layer: whether the layer was silent at every step.
    public let silent: [Bool]

    public init(network: Int, membraneMeans: [Double], membraneVariances: [Double], rates: [Double], silent: [Bool]) {
        self.network = network
        self.membraneMeans = membraneMeans
        self.membraneVariances = membraneVariances
        self.rates = rates
        self.silent = silent
    }

    /// Whether the record has the shape of a network of `configuration` (index in range, one value per layer and step).
    public func fits(_ configuration: SimulationConfiguration) -> Bool {
        let depth = configuration.architecture.depth, values = depth * configuration.steps
        return network >= 0 && network < configuration.networks && silent.count == depth
            && membraneMeans.count == values && membraneVariances.count == values && rates.count == values
    }
}

extension NetworkResults {
    func record(_ r: Int) -> NetworkRecord {
        let perNetwork = layers * steps, base = r * perNetwork
        return NetworkRecord(network: r, membraneMeans: Array(means[base..<base + perNetwork]),
                             membraneVariances: Array(variances[base..<base + perNetwork]),
                             rates: Array(rates[base..<base + perNetwork]),
                             silent: Array(silent[r * layers..<(r + 1) * layers]))
    }

    func store(_ record: NetworkRecord) {
        let perNetwork = layers * steps, base = record.network * perNetwork
        for i in 0..<perNetwork {
            means[base + i] = record.membraneMeans[i]
            variances[base + i] = record.membraneVariances[i]
            rates[base + i] = record.rates[i]
        }
        for l in 0..<layers { silent[record.network * layers + l] = record.silent[l] }
    }
}

/// The loop both simulators share: networks handed out one at a time to `workers` workers, each with its own state
/// (`makeWorker` is called once per worker), skipping the networks already `completed`.
enum NetworkLoop {
    static func run(_ c: SimulationConfiguration, workers: Int, completed: [NetworkRecord],
                    progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)?,
                    onNetwork: (@Sendable (NetworkRecord) -> Void)?,
                    makeWorker: @Sendable () -> (_ network: Int, _ results: NetworkResults) -> Void)
        -> (results: NetworkResults, computed: Int, seconds: Double)
    {
        let start = ContinuousClock.now
        let results = NetworkResults(networks: c.networks, layers: c.architecture.depth, steps: c.steps)
        var done = Set<Int>()
        for record in completed where record.fits(c) && done.insert(record.network).inserted { results.store(record) }
        let todo = (0..<c.networks).filter { !done.contains($0) }
        let queue = WorkQueue(count: todo.count)
        let alreadyDone = done.count
        DispatchQueue.concurrentPerform(iterations: max(1, min(workers, todo.count))) { _ in
            guard todo.count > 0 else { return }
            let simulate = makeWorker()
            while let k = queue.take() {
                let r = todo[k]
                simulate(r, results)
                onNetwork?(results.record(r))
                progress?(alreadyDone + queue.finish(), c.networks)
            }
        }
        let elapsed = start.duration(to: .now)
        return (results, todo.count,
                Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
}
