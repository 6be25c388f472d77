//! Money: exact amounts in halalas, and the 15% VAT.
//!
//! One riyal is 100 halalas, and every amount is a whole number of them ([`Halalas`]),
//! never a float. Prices come in as SAR decimal strings ("45", "45.5", "45.50") and
//! leave as "45.00"; PostgreSQL keeps them as `numeric(12, 2)`, met here through
//! `rust_decimal::Decimal`.
//!
//! VAT is 15%. Listing prices are VAT-inclusive: [`Halalas::vat_of_gross`] is the VAT
//! contained in such a price and [`Halalas::net_of_gross`] the rest, and the two
//! always add up to the price. [`Halalas::vat_on_net`] is the VAT due on a net amount.
//! Each rounds once, to the nearest halala, a half rounding up (away from zero, for
//! the rare negative amount). On a VAT-inclusive price the exact VAT is 3/23 of it,
//! which is never exactly half a halala, so only `vat_on_net` meets a true half.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// Highest price accepted anywhere, in SAR: above it the value is a typo, not a part.
pub const MAX_PRICE_SAR: i64 = 10_000_000;
/// VAT in Saudi Arabia, in percent.
pub const VAT_PERCENT: i64 = 15;

const HALALAS_PER_SAR: i64 = 100;

/// A Saudi VAT registration number: 15 digits, the first and the last 3.
pub fn is_saudi_vat_number(text: &str) -> bool {
    text.len() == 15 && text.bytes().all(|b| b.is_ascii_digit()) && text.starts_with('3') && text.ends_with('3')
}

/// An exact amount of money in halalas (1 SAR = 100 halalas).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Halalas(i64);

/// Why a text is not an acceptable SAR amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("\"{0}\" is not a decimal amount")]
    NotAnAmount(String),
    #[error("must have at most 2 decimal places")]
    TooPrecise,
    #[error("must not be negative")]
    Negative,
    #[error("must not exceed {MAX_PRICE_SAR}")]
    OverCap,
}

impl Halalas {
    pub const ZERO: Halalas = Halalas(0);
    /// [`MAX_PRICE_SAR`] in halalas.
    pub const MAX_PRICE: Halalas = Halalas(MAX_PRICE_SAR * HALALAS_PER_SAR);

    pub const fn new(halalas: i64) -> Halalas {
        Halalas(halalas)
    }

    /// The amount in halalas.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// Parses a price in SAR as people write it: digits, then optionally a point and
    /// up to two decimals ("45", "45.5", "45.50"; zeros past the second decimal, as in
    /// "45.500", change nothing and are accepted). Surrounding spaces are ignored.
    /// Negative amounts, more decimals and amounts over [`MAX_PRICE_SAR`] are refused.
    pub fn parse_sar(text: &str) -> Result<Halalas, MoneyError> {
        let text = text.trim();
        let not_an_amount = || MoneyError::NotAnAmount(text.to_string());
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || !all_digits(fraction)
            || (digits.contains('.') && fraction.is_empty())
        {
            return Err(not_an_amount());
        }
        let (cents, beyond) = fraction.split_at(fraction.len().min(2));
        if beyond.bytes().any(|b| b != b'0') {
            return Err(MoneyError::TooPrecise);
        }
        let whole = whole.trim_start_matches('0');
        // More digits than the cap has cannot be under it (and would not fit an i64).
        if whole.len() > MAX_PRICE_SAR.to_string().len() {
            return Err(if negative { MoneyError::Negative } else { MoneyError::OverCap });
        }
        let riyals: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| not_an_amount())? };
        let cents: i64 = format!("{cents:0<2}").parse().map_err(|_| not_an_amount())?;
        let amount = riyals * HALALAS_PER_SAR + cents;
        if negative && amount > 0 {
            return Err(MoneyError::Negative);
        }
        if amount > Halalas::MAX_PRICE.0 {
            return Err(MoneyError::OverCap);
        }
        Ok(Halalas(amount))
    }

    /// The exact amount of a decimal in SAR; `None` when it has fractions of a halala
    /// or does not fit.
    pub fn from_decimal(sar: Decimal) -> Option<Halalas> {
        let halalas = sar.checked_mul(Decimal::from(HALALAS_PER_SAR))?;
        if !halalas.fract().is_zero() {
            return None;
        }
        i64::try_from(halalas).ok().map(Halalas)
    }

    /// The amount in SAR with two decimals, as PostgreSQL's `numeric(12, 2)` holds it.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    pub fn checked_add(self, other: Halalas) -> Option<Halalas> {
        self.0.checked_add(other.0).map(Halalas)
    }

    /// The amount of `quantity` items at this price.
    pub fn checked_mul(self, quantity: i64) -> Option<Halalas> {
        self.0.checked_mul(quantity).map(Halalas)
    }

    /// The VAT contained in this VAT-inclusive amount: 15/115 of it, rounded half up.
    pub fn vat_of_gross(self) -> Halalas {
        Halalas(divide_rounding_half_up(i128::from(self.0) * i128::from(VAT_PERCENT), 100 + VAT_PERCENT))
    }

    /// This VAT-inclusive amount without its VAT; with [`Halalas::vat_of_gross`] it
    /// adds up to the amount exactly.
    pub fn net_of_gross(self) -> Halalas {
        Halalas(self.0 - self.vat_of_gross().0)
    }

    /// The VAT due on this net amount: 15% of it, rounded half up.
    pub fn vat_on_net(self) -> Halalas {
        Halalas(divide_rounding_half_up(i128::from(self.0) * i128::from(VAT_PERCENT), 100))
    }
}

/// `numerator / denominator` rounded to the nearest integer, halves away from zero.
/// The quotient of an i64 amount by a factor under 1 always fits back in an i64.
fn divide_rounding_half_up(numerator: i128, denominator: i64) -> i64 {
    let denominator = i128::from(denominator);
    let (quotient, remainder) = (numerator / denominator, numerator % denominator);
    let rounded = if 2 * remainder.abs() >= denominator { quotient + numerator.signum() } else { quotient };
    i64::try_from(rounded).expect("a share of an i64 amount fits an i64")
}

impl fmt::Display for Halalas {
    /// SAR with two decimals: "45.00", "-0.50".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let per = HALALAS_PER_SAR as u64;
        write!(f, "{sign}{}.{:02}", abs / per, abs % per)
    }
}

impl FromStr for Halalas {
    type Err = MoneyError;

    fn from_str(text: &str) -> Result<Halalas, MoneyError> {
        Halalas::parse_sar(text)
    }
}

impl TryFrom<Decimal> for Halalas {
    type Error = MoneyError;

    fn try_from(sar: Decimal) -> Result<Halalas, MoneyError> {
        Halalas::from_decimal(sar).ok_or(MoneyError::TooPrecise)
    }
}

impl From<Halalas> for Decimal {
    fn from(amount: Halalas) -> Decimal {
        amount.to_decimal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sar(text: &str) -> Halalas {
        Halalas::parse_sar(text).unwrap()
    }

    #[test]
    fn sar_strings_parse_to_exact_halalas() {
        assert_eq!(sar("45"), Halalas::new(4500));
        assert_eq!(sar("45.5"), Halalas::new(4550));
        assert_eq!(sar("45.50"), Halalas::new(4550));
        assert_eq!(sar(" 45.500 "), Halalas::new(4550));
        assert_eq!(sar("0.01"), Halalas::new(1));
        assert_eq!(sar("0"), Halalas::ZERO);
        assert_eq!(sar("-0.00"), Halalas::ZERO);
        assert_eq!(sar("007.10"), Halalas::new(710));
        assert_eq!(sar("10000000"), Halalas::MAX_PRICE);
        assert_eq!(sar("10000000.00"), Halalas::MAX_PRICE);
    }

    #[test]
    fn what_is_not_a_sar_amount_is_refused_with_the_reason() {
        assert_eq!(Halalas::parse_sar("12.345"), Err(MoneyError::TooPrecise));
        assert_eq!(Halalas::parse_sar("0.001"), Err(MoneyError::TooPrecise));
        assert_eq!(Halalas::parse_sar("-3.00"), Err(MoneyError::Negative));
        assert_eq!(Halalas::parse_sar("-99999999999999999999999"), Err(MoneyError::Negative));
        assert_eq!(Halalas::parse_sar("10000000.01"), Err(MoneyError::OverCap));
        assert_eq!(Halalas::parse_sar("99999999999999999999999"), Err(MoneyError::OverCap));
        for bad in ["", " ", "abc", "1e3", "+5", "5.", ".5", "1,5", "1_000", "٤٥", "4 5", "--1", "NaN", "5.x"] {
            assert!(matches!(Halalas::parse_sar(bad), Err(MoneyError::NotAnAmount(_))), "{bad:?}");
        }
    }

    #[test]
    fn amounts_show_as_sar_with_two_decimals() {
        assert_eq!(Halalas::new(4500).to_string(), "45.00");
        assert_eq!(Halalas::new(4550).to_string(), "45.50");
        assert_eq!(Halalas::new(1).to_string(), "0.01");
        assert_eq!(Halalas::new(-50).to_string(), "-0.50");
        assert_eq!(Halalas::new(i64::MIN).to_string(), "-92233720368547758.08");
        assert_eq!(sar("45.5").to_string().parse::<Halalas>(), Ok(Halalas::new(4550)));
    }

    #[test]
    fn decimals_convert_exactly_both_ways() {
        assert_eq!(Halalas::from_decimal(Decimal::new(4550, 2)), Some(Halalas::new(4550)));
        assert_eq!(Halalas::from_decimal(Decimal::new(45500, 3)), Some(Halalas::new(4550)));
        assert_eq!(Halalas::from_decimal(Decimal::new(45555, 3)), None);
        assert_eq!(Halalas::from_decimal(Decimal::MAX), None);
        assert_eq!(Halalas::new(4550).to_decimal().to_string(), "45.50");
        assert_eq!(Decimal::from(Halalas::new(4500)).to_string(), "45.00");
        assert_eq!(Halalas::try_from(Decimal::new(1, 3)), Err(MoneyError::TooPrecise));
    }

    #[test]
    fn sums_and_quantities_are_checked() {
        assert_eq!(sar("45.50").checked_mul(3), Some(sar("136.50")));
        assert_eq!(sar("0.01").checked_add(sar("0.02")), Some(sar("0.03")));
        assert_eq!(Halalas::new(i64::MAX).checked_add(Halalas::new(1)), None);
        assert_eq!(Halalas::MAX_PRICE.checked_mul(1_000_000), Some(Halalas::new(1_000_000_000_000_000)));
        assert_eq!(Halalas::MAX_PRICE.checked_mul(i64::MAX), None);
    }

    #[test]
    fn vat_inside_an_inclusive_price_and_the_net_add_up() {
        // 1.15 = 1.00 + 0.15 exactly.
        assert_eq!(sar("1.15").vat_of_gross(), sar("0.15"));
        assert_eq!(sar("1.15").net_of_gross(), sar("1.00"));
        // 100.00 × 15/115 = 13.0434…
        assert_eq!(sar("100.00").vat_of_gross(), sar("13.04"));
        assert_eq!(sar("100.00").net_of_gross(), sar("86.96"));
        // 0.01 × 15/115 = 0.0013…: too little for a halala of VAT.
        assert_eq!(sar("0.01").vat_of_gross(), Halalas::ZERO);
        assert_eq!(sar("0.01").net_of_gross(), sar("0.01"));
        // 0.04 × 15/115 = 0.0052…: rounds up; 0.03 → 0.0039…: rounds down.
        assert_eq!(sar("0.04").vat_of_gross(), sar("0.01"));
        assert_eq!(sar("0.03").vat_of_gross(), Halalas::ZERO);
        for gross in [0, 1, 3, 4, 7, 8, 115, 4550, 10_000, 99_999, Halalas::MAX_PRICE.get(), i64::MAX] {
            let gross = Halalas::new(gross);
            assert_eq!(gross.vat_of_gross().checked_add(gross.net_of_gross()), Some(gross), "{gross}");
        }
    }

    #[test]
    fn vat_on_a_net_amount_rounds_halves_up() {
        assert_eq!(sar("100.00").vat_on_net(), sar("15.00"));
        assert_eq!(sar("1.00").vat_on_net(), sar("0.15"));
        assert_eq!(sar("0.01").vat_on_net(), Halalas::ZERO); // 0.0015
        assert_eq!(sar("0.03").vat_on_net(), Halalas::ZERO); // 0.0045
        assert_eq!(sar("0.04").vat_on_net(), sar("0.01")); // 0.006
        assert_eq!(sar("0.10").vat_on_net(), sar("0.02")); // 0.015: a half, up
        assert_eq!(sar("0.30").vat_on_net(), sar("0.05")); // 0.045: a half, up
        assert_eq!(sar("0.50").vat_on_net(), sar("0.08")); // 0.075: a half, up
        assert_eq!(Halalas::new(-10).vat_on_net(), Halalas::new(-2), "halves round away from zero");
    }

    #[test]
    fn big_amounts_keep_every_halala() {
        assert_eq!(Halalas::MAX_PRICE.vat_on_net(), sar("1500000.00"));
        assert_eq!(Halalas::MAX_PRICE.vat_of_gross(), sar("1304347.83")); // 1304347.826…
        let huge = Halalas::new(i64::MAX);
        assert_eq!(huge.vat_of_gross().get(), 1_203_048_526_546_275_105); // i64::MAX × 3/23 = …105.26
        assert_eq!(Halalas::new(i64::MAX / 2).vat_on_net().get(), 691_752_902_764_108_185); // …185.45
    }
}
