/// Whether the backward pass differentiates the spike in the reset term (THEORY.md section 10).
public enum ResetGradient: String, CaseIterable, Sendable, Codable {
    /// The reset's spike is a constant: snnTorch's default (`mem_reset` returns `spike_grad(mem - threshold)`
    /// detached), so the only path from s_l[t] to the loss is through the layer above.
    case detached
    /// The reset's spike carries the surrogate gradient like every other spike: subtract reset adds
    /// -theta h_l[t] delta_l[t+1], zero reset -beta u_l[t] h_l[t] delta_l[t+1].
    case attached
}
