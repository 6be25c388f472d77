//! Saudi mobile numbers, normalized to E.164.
//!
//! People write the same number as `05XXXXXXXX`, `5XXXXXXXX`, `+9665XXXXXXXX`,
//! `009665XXXXXXXX`, with spaces or dashes, in Arabic-Indic digits. libphonenumber's
//! metadata (the `phonenumber` crate) decides what is a valid mobile number; everything
//! stored and hashed is the E.164 form, so each spelling finds the same account.

use std::fmt;

use phonenumber::country::Id;
use phonenumber::{Mode, Type};

/// A valid Saudi mobile number in E.164 form (`+9665XXXXXXXX`).
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

/// What is wrong with a phone number, for the field error.
pub const INVALID: &str = "must be a Saudi mobile number, e.g. 05XXXXXXXX or +9665XXXXXXXX";

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, &'static str> {
        let folded: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '\u{200e}' | '\u{200f}'))
            .map(fold_digit)
            .collect();
        if folded.is_empty() || folded.len() > 20 {
            return Err(INVALID);
        }
        let number = phonenumber::parse(Some(Id::SA), &folded).map_err(|_| INVALID)?;
        if number.code().value() != 966
            || !phonenumber::is_valid(&number)
            || number.number_type(&phonenumber::metadata::DATABASE) != Type::Mobile
        {
            return Err(INVALID);
        }
        Ok(Phone(number.format().mode(Mode::E164).to_string()))
    }

    /// Wraps a number already known to be normalized (read back from storage).
    pub fn from_e164(e164: String) -> Phone {
        debug_assert!(e164.starts_with("+9665") && e164.len() == 13, "{e164}");
        Phone(e164)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with its middle hidden, for logs.
    pub fn masked(&self) -> String {
        let n = &self.0;
        format!("{}*****{}", &n[..6], &n[n.len() - 2..])
    }
}

/// Only the masked form ever reaches a log through `{:?}`.
impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

/// Arabic-Indic (U+0660…) and Persian (U+06F0…) digits to ASCII.
pub fn fold_digit(c: char) -> char {
    match c {
        '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_usual_spelling_of_a_number_is_the_same_number() {
        for input in [
            "0501234567",
            "501234567",
            "+966501234567",
            "00966501234567",
            "966501234567",
            "+966 50 123 4567",
            "050-123-4567",
            "(050) 123 4567",
            "٠٥٠١٢٣٤٥٦٧",
            "+٩٦٦٥٠١٢٣٤٥٦٧",
            "۰۵۰۱۲۳۴۵۶۷",
            "  0501234567  ",
        ] {
            assert_eq!(Phone::parse(input).map(|p| p.0), Ok("+966501234567".to_string()), "{input}");
        }
    }

    #[test]
    fn every_saudi_mobile_prefix_is_accepted() {
        for prefix in ["50", "53", "54", "55", "56", "58", "59"] {
            let input = format!("0{prefix}1234567");
            assert!(Phone::parse(&input).is_ok(), "{input}");
        }
    }

    #[test]
    fn landlines_foreign_and_malformed_numbers_are_refused() {
        for input in [
            "",
            "   ",
            "0112345678",
            "+966112345678",
            "0521234567",
            "05012345678",
            "050123456",
            "+14155552671",
            "+971501234567",
            "abcdefghij",
            "0501234567; DROP TABLE users",
            "<script>0501234567</script>",
            "+966501234567+966501234567",
        ] {
            assert_eq!(Phone::parse(input), Err(INVALID), "{input}");
        }
    }

    #[test]
    fn debug_output_masks_the_number() {
        let phone = Phone::parse("0501234567").unwrap();
        assert_eq!(phone.masked(), "+96650*****67");
        assert!(!format!("{phone:?}").contains("1234"));
    }
}
