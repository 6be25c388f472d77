//! The shipping address as the Saudi national address: who, which phone, city,
//! district and street, and either the building number with the postal code (and the
//! additional number when there is one) or the short address that stands for them.
//! Each field that is wrong is named, with what it must be.

use super::error::FieldError;
use super::model::ShippingAddress;
use crate::catalog::canonical_city;
use crate::platform::phone::{Phone, fold_digit};

/// The address normalized (digits folded, the city's usual name, the phone in E.164,
/// the short address upper-case without spaces), and its phone when valid; what is
/// wrong goes to `errors`.
pub fn check(input: &ShippingAddress, errors: &mut Vec<FieldError>) -> (ShippingAddress, Option<Phone>) {
    let field = |name: &str| format!("shipping_address.{name}");
    let mut text = |name: &str, value: &str, max: usize| -> String {
        let value = value.trim();
        if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
            errors.push(FieldError::new(field(name), format!("must be 1 to {max} characters of text")));
        }
        value.to_string()
    };
    let name = text("name", &input.name, 200);
    let city = text("city", &input.city, 100);
    let district = text("district", &input.district, 100);
    let street = text("street", &input.street, 200);
    let short_address = input.short_address.as_deref().map(|given| {
        let folded = fold_short_address(given);
        if !is_short_address(&folded) {
            errors.push(FieldError::new(field("short_address"), "must be 4 letters and 4 digits, like RRRD2929"));
        }
        folded
    });
    let mut number = |name: &str, value: Option<&str>, rule: fn(&str) -> Option<&'static str>| -> Option<String> {
        let folded = value.map(|v| v.trim().chars().map(fold_digit).collect::<String>());
        match (&folded, &short_address) {
            (Some(digits), _) => {
                if let Some(reason) = rule(digits) {
                    errors.push(FieldError::new(field(name), reason));
                }
            }
            (None, None) => errors.push(FieldError::new(field(name), "is required, unless short_address is given")),
            (None, Some(_)) => {}
        }
        folded
    };
    let building_number = number("building_number", input.building_number.as_deref(), |v| {
        (!four_digits(v)).then_some("must be 4 digits")
    });
    let postal_code = number("postal_code", input.postal_code.as_deref(), |v| {
        let valid = v.len() == 5 && v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0');
        (!valid).then_some("must be 5 digits, the first not 0")
    });
    let additional_number = input.additional_number.as_deref().map(|n| {
        let folded: String = n.trim().chars().map(fold_digit).collect();
        if !four_digits(&folded) {
            errors.push(FieldError::new(field("additional_number"), "must be 4 digits"));
        }
        folded
    });
    let phone = match Phone::parse(&input.phone) {
        Ok(phone) => Some(phone),
        Err(reason) => {
            errors.push(FieldError::new(field("phone"), reason));
            None
        }
    };
    let address = ShippingAddress {
        name,
        phone: phone.as_ref().map(|p| p.as_str().to_string()).unwrap_or_default(),
        city: canonical_city(&city),
        district,
        street,
        building_number,
        postal_code,
        additional_number,
        short_address,
    };
    (address, phone)
}

fn four_digits(value: &str) -> bool {
    value.len() == 4 && value.bytes().all(|b| b.is_ascii_digit())
}

/// Upper case, digits folded to ASCII, spaces and dashes dropped: `rrrd 2929`,
/// `RRRD-٢٩٢٩` and `RRRD2929` are one address.
fn fold_short_address(value: &str) -> String {
    value.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| fold_digit(c).to_ascii_uppercase()).collect()
}

/// Four Latin letters and four digits.
fn is_short_address(folded: &str) -> bool {
    let bytes = folded.as_bytes();
    bytes.len() == 8 && bytes[..4].iter().all(u8::is_ascii_uppercase) && bytes[4..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> ShippingAddress {
        ShippingAddress {
            name: "Nora".into(),
            phone: "0501234567".into(),
            city: "Riyadh".into(),
            district: "Al Olaya".into(),
            street: "King Fahd Road".into(),
            building_number: Some("1234".into()),
            postal_code: Some("12345".into()),
            additional_number: None,
            short_address: None,
        }
    }

    fn fields_of(input: &ShippingAddress) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        check(input, &mut errors);
        errors.into_iter().map(|e| (e.field, e.reason)).collect()
    }

    #[test]
    fn a_short_address_stands_for_the_building_and_postal_code() {
        let short = ShippingAddress {
            building_number: None,
            postal_code: None,
            short_address: Some("rrrd ٢٩٢٩".into()),
            ..full()
        };
        let mut errors = Vec::new();
        let (checked, _) = check(&short, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(checked.short_address.as_deref(), Some("RRRD2929"));
    }

    #[test]
    fn without_either_form_each_missing_number_is_named() {
        let bare = ShippingAddress { building_number: None, postal_code: None, ..full() };
        let fields = fields_of(&bare);
        let named: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(named, ["shipping_address.building_number", "shipping_address.postal_code"]);
        assert!(fields[0].1.contains("short_address"), "{fields:?}");
    }

    #[test]
    fn each_number_says_what_it_must_be() {
        for (address, field, reason) in [
            (ShippingAddress { building_number: Some("123".into()), ..full() }, "building_number", "4 digits"),
            (ShippingAddress { postal_code: Some("01234".into()), ..full() }, "postal_code", "first not 0"),
            (ShippingAddress { postal_code: Some("1234A".into()), ..full() }, "postal_code", "5 digits"),
            (ShippingAddress { additional_number: Some("12".into()), ..full() }, "additional_number", "4 digits"),
            (ShippingAddress { short_address: Some("RRR2929".into()), ..full() }, "short_address", "RRRD2929"),
            (ShippingAddress { short_address: Some("ررر د2929".into()), ..full() }, "short_address", "4 letters"),
        ] {
            let fields = fields_of(&address);
            assert_eq!(fields.len(), 1, "{fields:?}");
            assert_eq!(fields[0].0, format!("shipping_address.{field}"));
            assert!(fields[0].1.contains(reason), "{fields:?}");
        }
    }
}
