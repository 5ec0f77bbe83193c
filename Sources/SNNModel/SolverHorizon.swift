/// Which time steps a solver's target rate refers to: the multi-step theory's solver (SNNTheory) and the reduced
/// sampler's (SNNSimulator) both take it.
public enum SolverHorizon: String, Sendable, CaseIterable {
    /// t = 1 only (the theory solves it in closed form through the inverse normal tail).
    case firstStep = "first-step"
    /// The average over t = 1..T.
    case timeAveraged = "time-averaged"
    /// The last step t = T (with a long horizon, the stationary state of the leaky dynamics).
    case finalStep = "final-step"
}
