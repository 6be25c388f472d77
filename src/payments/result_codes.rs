//! HyperPay's result codes, classified as its documentation does: the first pattern
//! that matches decides. One table, so a new class or pattern is one line.

use std::sync::LazyLock;

use regex::Regex;

/// What a result code says about a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The money was taken.
    Succeeded,
    /// Taken, but the provider asks for a manual review before it is final.
    NeedsReview,
    /// Not final yet; ask again later.
    Pending,
    /// Not final, and may stay so for days (bank transfers, some 3-D Secure flows).
    PendingLong,
    /// Declined, failed or unknown: no money was taken.
    Rejected,
}

/// The documented patterns, in the order they are tried.
const TABLE: &[(&str, Outcome)] = &[
    (r"^(000\.000\.|000\.100\.1|000\.[36]|000\.400\.[1][12]0)", Outcome::Succeeded),
    (r"^(000\.400\.0[^3]|000\.400\.100)", Outcome::NeedsReview),
    (r"^(000\.200)", Outcome::Pending),
    (r"^(800\.400\.5|100\.400\.500)", Outcome::PendingLong),
];

static PATTERNS: LazyLock<Vec<(Regex, Outcome)>> = LazyLock::new(|| {
    TABLE
        .iter()
        .map(|(pattern, outcome)| (Regex::new(pattern).expect("the table's patterns compile"), *outcome))
        .collect()
});

/// The class of a HyperPay `result.code`; anything no pattern matches is rejected.
pub fn classify(code: &str) -> Outcome {
    PATTERNS.iter().find(|(pattern, _)| pattern.is_match(code)).map_or(Outcome::Rejected, |(_, outcome)| *outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_class_is_recognised() {
        for code in
            ["000.000.000", "000.100.110", "000.100.112", "000.300.000", "000.600.000", "000.400.110", "000.400.120"]
        {
            assert_eq!(classify(code), Outcome::Succeeded, "{code}");
        }
        for code in ["000.400.000", "000.400.020", "000.400.100"] {
            assert_eq!(classify(code), Outcome::NeedsReview, "{code}");
        }
        for code in ["000.200.000", "000.200.100"] {
            assert_eq!(classify(code), Outcome::Pending, "{code}");
        }
        for code in ["800.400.500", "100.400.500"] {
            assert_eq!(classify(code), Outcome::PendingLong, "{code}");
        }
        for code in ["800.100.151", "100.100.101", "200.300.404", "000.400.030", "000.100.200", "", "garbage"] {
            assert_eq!(classify(code), Outcome::Rejected, "{code}");
        }
    }
}
