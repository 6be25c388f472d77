//! The numbers of a seller's documents, checked before anything is stored: the
//! commercial registration (10 digits), the VAT number (15 digits, first and last 3)
//! and the IBAN (`SA`, two check digits and 20 more, valid under ISO 13616's mod-97).
//! Digits in any script, spaces and dashes are accepted and folded away.

use crate::platform::money::is_saudi_vat_number;
use crate::platform::phone::fold_digit;

/// `value` upper-cased, with Arabic-Indic digits folded and spaces and dashes dropped.
pub fn fold(value: &str) -> String {
    value.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| fold_digit(c).to_ascii_uppercase()).collect()
}

/// Why `folded` is not a commercial registration number.
pub fn cr_number_problem(folded: &str) -> Option<&'static str> {
    let valid = folded.len() == 10 && folded.bytes().all(|b| b.is_ascii_digit());
    (!valid).then_some("must be 10 digits")
}

/// Why `folded` is not a Saudi VAT number.
pub fn vat_number_problem(folded: &str) -> Option<&'static str> {
    (!is_saudi_vat_number(folded)).then_some("must be 15 digits, beginning and ending with 3")
}

/// Why `folded` is not a Saudi IBAN.
pub fn iban_problem(folded: &str) -> Option<&'static str> {
    let shape = folded.len() == 24 && folded.starts_with("SA") && folded[2..].bytes().all(|b| b.is_ascii_digit());
    if !shape {
        return Some("must be SA followed by 22 digits");
    }
    (!iban_checksum_holds(folded)).then_some("has wrong check digits; check it was copied correctly")
}

/// ISO 13616: the country and check digits moved to the end, letters as 10–35, the
/// whole read as a number, leaves 1 modulo 97.
fn iban_checksum_holds(iban: &str) -> bool {
    let rearranged = iban[4..].chars().chain(iban[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        let width = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * width + value) % 97;
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_saudi_iban_passes_in_any_spelling() {
        // The example IBAN Saudi banks publish.
        for spelled in ["SA0380000000608010167519", "sa03 8000 0000 6080 1016 7519", "SA03-8000-٠٠٠٠-6080-1016-7519"]
        {
            assert_eq!(iban_problem(&fold(spelled)), None, "{spelled}");
        }
    }

    #[test]
    fn a_mistyped_iban_is_caught_by_its_check_digits() {
        assert!(iban_problem("SA0380000000608010167518").unwrap().contains("check digits"));
        assert!(iban_problem("SA0480000000608010167519").unwrap().contains("check digits"));
        assert!(iban_problem("GB82WEST12345698765432").unwrap().contains("SA followed by 22 digits"));
        assert!(iban_problem("SA03800000006080101675").is_some(), "too short");
    }

    #[test]
    fn registration_and_vat_numbers_have_their_shapes() {
        assert_eq!(cr_number_problem(&fold("١٠١٠ 123456")), None);
        assert!(cr_number_problem("101012345").is_some());
        assert!(cr_number_problem("10101234567").is_some());
        assert_eq!(vat_number_problem("310122393500003"), None);
        assert!(vat_number_problem("410122393500003").is_some());
    }
}
