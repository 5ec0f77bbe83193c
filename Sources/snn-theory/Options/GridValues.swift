import SNNModel

/// `--thetas` of `phase` and `validity`.
enum ThresholdGrid: OptionRule {
    static func parse(_ text: String) throws -> [Double] { try GridValues.parse(text, parameter: "thetas") }
}

/// `phase --target-variances`.
enum TargetVarianceGrid: OptionRule {
    static func parse(_ text: String) throws -> [Double] { try GridValues.parse(text, parameter: "target-variances") }
}

/// `phase --weight-scales`.
enum WeightScaleGrid: OptionRule {
    static func parse(_ text: String) throws -> [Double] { try GridValues.parse(text, parameter: "weight-scales") }
}
