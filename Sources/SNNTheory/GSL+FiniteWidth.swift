import CGSL

extension GSL {
    /// The m-point Gauss-Legendre rule on [-1, 1]: exact for polynomials of degree 2m - 1.
    struct GaussLegendreRule {
        var nodes: [Double]
        var weights: [Double]
    }

    /// GSL's `gsl_integration_glfixed` tables (precomputed for the common m, by Newton iteration otherwise).
    static func gaussLegendre(points m: Int) throws -> GaussLegendreRule {
        prepare()
        guard let table = gsl_integration_glfixed_table_alloc(m) else {
            throw GSLError(status: Int32(GSL_ENOMEM), routine: "gsl_integration_glfixed_table_alloc")
        }
        defer { gsl_integration_glfixed_table_free(table) }
        var rule = GaussLegendreRule(nodes: [], weights: [])
        for i in 0..<m {
            var x = 0.0, w = 0.0
            try check(gsl_integration_glfixed_point(-1, 1, i, &x, &w, table), "gsl_integration_glfixed_point")
            rule.nodes.append(x)
            rule.weights.append(w)
        }
        return rule
    }

    /// P(X < x) for X ~ chi^2 with `degreesOfFreedom` (GSL's `gsl_cdf_chisq_P`, accurate in the far lower tail).
    static func chiSquareLowerTail(_ x: Double, degreesOfFreedom: Double) -> Double {
        prepare()
        return gsl_cdf_chisq_P(x, degreesOfFreedom)
    }
}
