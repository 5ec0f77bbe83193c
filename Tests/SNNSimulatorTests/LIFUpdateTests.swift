import SNNModel
import SNNSimulator
import Testing

/// The neuron update of THEORY.md section 1 on sequences computed by hand. All values are dyadic fractions, so
/// every Float32 operation is exact and the expected numbers are the exact ones.
@Suite struct LIFUpdateTests {
    @Test func subtractiveResetFollowsHandComputedSequence() {
        let lif = LIFUpdate(leak: 0.5, threshold: 1, reset: .subtract)
        let (u, s) = lif.run(currents: [0.75, 0.75, 0.75, 0.75, 0.75])
        // u = 0.5 u + I - s_prev: 0.75; 1.125 (spike); 0.5625 + 0.75 - 1; 0.15625 + 0.75; 0.453125 + 0.75 (spike)
        #expect(u == [0.75, 1.125, 0.3125, 0.90625, 1.203125])
        #expect(s == [0, 1, 0, 0, 1])
    }

    @Test func zeroResetFollowsHandComputedSequence() {
        let lif = LIFUpdate(leak: 0.5, threshold: 1, reset: .zero)
        let (u, s) = lif.run(currents: [0.75, 0.75, 0.75, 0.75])
        // After a spike the leaked potential is dropped: u = 0 + I.
        #expect(u == [0.75, 1.125, 0.75, 1.125])
        #expect(s == [0, 1, 0, 1])
    }

    @Test func potentialEqualToThresholdDoesNotSpike() {
        let lif = LIFUpdate(leak: 0.5, threshold: 1, reset: .subtract)
        let (u, s) = lif.run(currents: [1, 0.5, 0.25])
        #expect(u == [1, 1, 0.75])
        #expect(s == [0, 0, 0])
    }

    @Test func noLeakKeepsOnlyTheResetForSubtraction() {
        // beta = 0: u = I - theta s_prev.
        let (u, s) = LIFUpdate(leak: 0, threshold: 1, reset: .subtract).run(currents: [1.5, 1.5, 0.5])
        #expect(u == [1.5, 0.5, 0.5])
        #expect(s == [1, 0, 0])
    }

    @Test func noLeakWithZeroResetIsTheCurrent() {
        // beta = 0: u = I whatever the reset.
        let (u, s) = LIFUpdate(leak: 0, threshold: 1, reset: .zero).run(currents: [1.5, 1.5, 0.5])
        #expect(u == [1.5, 1.5, 0.5])
        #expect(s == [1, 1, 0])
    }

    @Test func integrateAndFireWithSubtractionKeepsTheRemainder() {
        // beta = 1: u accumulates; a spike removes exactly theta.
        let (u, s) = LIFUpdate(leak: 1, threshold: 1, reset: .subtract).run(currents: [0.5, 0.5, 0.5, 0.5, -0.25])
        #expect(u == [0.5, 1, 1.5, 1, 0.75])
        #expect(s == [0, 0, 1, 0, 0])
    }

    @Test func integrateAndFireWithZeroResetStartsOver() {
        let (u, s) = LIFUpdate(leak: 1, threshold: 1, reset: .zero).run(currents: [0.5, 0.5, 0.5, 0.5])
        #expect(u == [0.5, 1, 1.5, 0.5])
        #expect(s == [0, 0, 1, 0])
    }

    @Test(arguments: Reset.allCases)
    func fourLaneUpdateMatchesTheScalarUpdateLaneByLane(reset: Reset) {
        // The simulator's scan runs `step` on SIMD4<Float>; each lane must be the scalar update.
        let lif = LIFUpdate(leak: 0.9, threshold: 1, reset: reset)
        var rng = Xoshiro256StarStar(seed: 7)
        for _ in 0..<1000 {
            var u = SIMD4<Float>(), s = SIMD4<Float>(), current = SIMD4<Float>()
            for lane in 0..<4 {
                u[lane] = Float(rng.nextUnitDouble() * 3 - 1)
                s[lane] = rng.nextUnitDouble() < 0.5 ? 1 : 0
                current[lane] = Float(rng.nextUnitDouble() * 2 - 1)
            }
            let vector = lif.step(potential: u, spike: s, current: current)
            for lane in 0..<4 {
                let scalar = lif.step(potential: u[lane], spike: s[lane], current: current[lane])
                #expect(vector.potential[lane].bitPattern == scalar.potential.bitPattern)
                #expect(vector.spike[lane] == scalar.spike)
            }
        }
    }
}
