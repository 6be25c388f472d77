//! The QR code that ZATCA (phase 1, "generation") requires on every simplified tax invoice.
//!
//! The payload is five TLV fields — one tag byte, one length byte, then the UTF-8 value — concatenated
//! and Base64-encoded. Customers scan it with the ZATCA app, so the exact bytes matter: the length is
//! counted in UTF-8 bytes (an Arabic letter is two), and the timestamp and amounts are plain ASCII text.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, SecondsFormat, Utc};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The TLV tags defined by ZATCA for phase 1, for code that reads a decoded payload.
pub mod tags {
    pub const SELLER_NAME: u8 = 1;
    pub const VAT_NUMBER: u8 = 2;
    pub const ISSUED_AT: u8 = 3;
    pub const TOTAL_WITH_VAT: u8 = 4;
    pub const VAT_TOTAL: u8 = 5;
}

/// A value's length must fit in the single length byte.
const MAX_VALUE_BYTES: usize = u8::MAX as usize;

/// The fields of a phase-1 invoice QR code. Amounts are passed as the exact text printed on the
/// invoice (e.g. `"100.00"`), so the QR and the page can never disagree on rounding.
#[derive(Debug, Clone, Copy)]
pub struct InvoiceQr<'a> {
    pub seller_name: &'a str,
    pub vat_number: &'a str,
    pub issued_at: DateTime<Utc>,
    pub total_with_vat: &'a str,
    pub vat_total: &'a str,
}

impl InvoiceQr<'_> {
    /// The Base64 TLV payload to put in the QR code.
    ///
    /// A value longer than 255 bytes is cut at the last whole UTF-8 character that fits, because its
    /// length must fit in one byte.
    pub fn to_base64(&self) -> String {
        // ZATCA's format: UTC, whole seconds, `Z` suffix, e.g. `2021-07-12T14:25:09Z`.
        let issued_at = self.issued_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        let mut tlv = Vec::with_capacity(128);
        push_field(&mut tlv, tags::SELLER_NAME, self.seller_name);
        push_field(&mut tlv, tags::VAT_NUMBER, self.vat_number);
        push_field(&mut tlv, tags::ISSUED_AT, &issued_at);
        push_field(&mut tlv, tags::TOTAL_WITH_VAT, self.total_with_vat);
        push_field(&mut tlv, tags::VAT_TOTAL, self.vat_total);
        BASE64.encode(tlv)
    }
}

/// Appends one TLV field.
///
/// A single length byte cannot describe more than 255 bytes. Seller names may be up to 200
/// characters, and Arabic letters take two bytes each, so a long Arabic name can exceed that. Rather
/// than fail to issue an invoice, we cut the value at the last whole character that fits: cutting in
/// the middle of a multi-byte character would make the field invalid UTF-8 and unreadable to scanners.
fn push_field(tlv: &mut Vec<u8>, tag: u8, value: &str) {
    let value = &value[..value.floor_char_boundary(MAX_VALUE_BYTES)];
    let length = u8::try_from(value.len()).expect("value was just cut to at most 255 bytes");
    tlv.push(tag);
    tlv.push(length);
    tlv.extend_from_slice(value.as_bytes());
}

/// Why a QR payload could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QrError {
    #[error("QR payload is not valid Base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("QR payload is empty")]
    Empty,
    #[error("QR payload ends inside the field with tag {tag}")]
    Truncated { tag: u8 },
    #[error("QR field with tag {tag} is not valid UTF-8")]
    InvalidUtf8 { tag: u8 },
}

/// Parses a Base64 TLV payload back into `(tag, value)` pairs, in payload order.
///
/// Used to verify issued invoices; it checks the encoding only, not which tags are present.
pub fn decode(base64: &str) -> Result<Vec<(u8, String)>, QrError> {
    let bytes = BASE64.decode(base64.trim())?;
    if bytes.is_empty() {
        return Err(QrError::Empty);
    }
    let mut fields = Vec::new();
    let mut rest = bytes.as_slice();
    while let [tag, after_tag @ ..] = rest {
        let tag = *tag;
        let [length, after_length @ ..] = after_tag else {
            return Err(QrError::Truncated { tag });
        };
        let Some((value, after_value)) = after_length.split_at_checked(usize::from(*length)) else {
            return Err(QrError::Truncated { tag });
        };
        let value = std::str::from_utf8(value).map_err(|_| QrError::InvalidUtf8 { tag })?;
        fields.push((tag, value.to_owned()));
        rest = after_value;
    }
    Ok(fields)
}

/// Draws `payload` (the Base64 text) as a QR code, as an SVG element ready to inline into HTML.
///
/// Error correction level M survives smudged thermal prints; the quiet zone is kept because scanners
/// need it to find the code; 200 px is a comfortable minimum size on A4 and 80 mm receipts alike.
///
/// The XML declaration that `qrcode` writes is dropped, since it has no place inside an HTML page.
/// A payload from [`InvoiceQr::to_base64`] always fits: four free-text fields of at most 257 bytes
/// each plus the 22-byte timestamp field make at most 1,400 Base64 characters, against a capacity of
/// 2,331 bytes at level M. Should a larger payload ever be passed, a
/// visible "QR unavailable" box is drawn instead of panicking, so the invoice still renders and the
/// gap is obvious to whoever checks it.
pub fn qr_svg(payload: &str) -> String {
    let Ok(code) = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M) else {
        return UNAVAILABLE_SVG.to_owned();
    };
    let svg = code.render::<svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build();
    match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    }
}

/// Drawn in place of a QR code whose payload does not fit in one.
const UNAVAILABLE_SVG: &str = concat!(
    r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="200" height="200" viewBox="0 0 200 200">"#,
    r##"<rect x="1" y="1" width="198" height="198" fill="#fff" stroke="#000" stroke-width="2"/>"##,
    r#"<text x="100" y="105" font-size="16" text-anchor="middle">QR unavailable</text></svg>"#,
);

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> InvoiceQr<'static> {
        InvoiceQr {
            seller_name: "Salla",
            vat_number: "1234567891",
            issued_at: "2021-07-12T14:25:09Z".parse().expect("valid timestamp"),
            total_with_vat: "100.00",
            vat_total: "15.00",
        }
    }

    #[test]
    fn matches_zatca_known_answer() {
        assert_eq!(
            sample().to_base64(),
            "AQVTYWxsYQIKMTIzNDU2Nzg5MQMUMjAyMS0wNy0xMlQxNDoyNTowOVoEBjEwMC4wMAUFMTUuMDA="
        );
    }

    #[test]
    fn decodes_what_it_encodes() {
        let fields = decode(&sample().to_base64()).expect("valid payload");
        let expected = [
            (tags::SELLER_NAME, "Salla"),
            (tags::VAT_NUMBER, "1234567891"),
            (tags::ISSUED_AT, "2021-07-12T14:25:09Z"),
            (tags::TOTAL_WITH_VAT, "100.00"),
            (tags::VAT_TOTAL, "15.00"),
        ]
        .map(|(tag, value)| (tag, value.to_owned()));
        assert_eq!(fields, expected);
    }

    #[test]
    fn drops_sub_second_precision_from_the_timestamp() {
        let qr = InvoiceQr { issued_at: "2021-07-12T14:25:09.987654Z".parse().expect("valid timestamp"), ..sample() };
        let fields = decode(&qr.to_base64()).expect("valid payload");
        assert_eq!(fields[2], (tags::ISSUED_AT, "2021-07-12T14:25:09Z".to_owned()));
    }

    #[test]
    fn arabic_name_round_trips_with_length_in_bytes() {
        let name = "شركة قطع الغيار";
        let qr = InvoiceQr { seller_name: name, ..sample() };
        let raw = BASE64.decode(qr.to_base64()).expect("valid Base64");
        assert_eq!(raw[0], tags::SELLER_NAME);
        assert_eq!(usize::from(raw[1]), name.len());
        assert_ne!(name.len(), name.chars().count(), "the test name must have multi-byte characters");
        let fields = decode(&qr.to_base64()).expect("valid payload");
        assert_eq!(fields[0], (tags::SELLER_NAME, name.to_owned()));
    }

    #[test]
    fn truncates_long_values_on_a_character_boundary() {
        // 150 two-byte letters = 300 bytes; 255 is odd, so a byte cut would split a letter.
        let name = "ب".repeat(150);
        let qr = InvoiceQr { seller_name: &name, ..sample() };
        let fields = decode(&qr.to_base64()).expect("still a valid payload");
        let (tag, value) = &fields[0];
        assert_eq!(*tag, tags::SELLER_NAME);
        assert_eq!(value.len(), 254);
        assert_eq!(*value, "ب".repeat(127));
        assert_eq!(fields.len(), 5, "the fields after the long one are intact");
    }

    #[test]
    fn keeps_a_value_of_exactly_255_bytes() {
        let name = "a".repeat(255);
        let qr = InvoiceQr { seller_name: &name, ..sample() };
        assert_eq!(decode(&qr.to_base64()).expect("valid payload")[0].1, name);
    }

    #[test]
    fn rejects_bad_payloads() {
        assert!(matches!(decode("not base64!"), Err(QrError::Base64(_))));
        assert_eq!(decode(""), Err(QrError::Empty));
        // Tag without a length byte.
        assert_eq!(decode(&BASE64.encode([1])), Err(QrError::Truncated { tag: 1 }));
        // Length says 5, only 2 bytes follow.
        assert_eq!(decode(&BASE64.encode([1, 5, b'a', b'b'])), Err(QrError::Truncated { tag: 1 }));
        // A valid payload with its last bytes cut off.
        let raw = BASE64.decode(sample().to_base64()).expect("valid Base64");
        let cut = BASE64.encode(&raw[..raw.len() - 2]);
        assert_eq!(decode(&cut), Err(QrError::Truncated { tag: tags::VAT_TOTAL }));
        // Half of a two-byte letter.
        assert_eq!(decode(&BASE64.encode([1, 1, 0xD8])), Err(QrError::InvalidUtf8 { tag: 1 }));
    }

    /// Rasterises the `<path>` that `qrcode` writes (`M{x} {y}h{w}v{h}H{x}V{y}` per dark run) and reads
    /// it back with a QR decoder, proving the SVG itself scans.
    fn scan_svg(svg: &str) -> String {
        let attribute = |name: &str| -> &str {
            let start = svg.find(&format!(" {name}=\"")).expect("attribute present") + name.len() + 3;
            let end = start + svg[start..].find('"').expect("closing quote");
            &svg[start..end]
        };
        let width: usize = attribute("width").parse().expect("numeric width");
        let height: usize = attribute("height").parse().expect("numeric height");
        let mut dark = vec![false; width * height];
        for run in attribute("d").split('M').filter(|run| !run.is_empty()) {
            let numbers: Vec<usize> = run
                .split(|c: char| c.is_ascii_alphabetic() || c == ' ')
                .filter(|part| !part.is_empty())
                .map(|part| part.parse().expect("numeric path"))
                .collect();
            let [left, top, run_width, run_height, ..] = numbers[..] else {
                panic!("unexpected path segment {run}");
            };
            for y in top..top + run_height {
                for x in left..left + run_width {
                    dark[y * width + x] = true;
                }
            }
        }
        let mut image =
            rqrr::PreparedImage::prepare_from_greyscale(
                width,
                height,
                |x, y| if dark[y * width + x] { 0 } else { 255 },
            );
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one QR code in the image");
        let (_, content) = grids[0].decode().expect("QR code decodes");
        content
    }

    #[test]
    fn draws_a_scannable_svg() {
        let payload = sample().to_base64();
        let svg = qr_svg(&payload);
        assert!(svg.starts_with("<svg"), "no XML declaration inside HTML");
        assert!(svg.ends_with("</svg>"));
        assert_eq!(scan_svg(&svg), payload);
    }

    #[test]
    fn largest_possible_payload_still_fits_in_a_qr_code() {
        let long = "ب".repeat(200);
        let qr =
            InvoiceQr { seller_name: &long, vat_number: &long, total_with_vat: &long, vat_total: &long, ..sample() };
        let payload = qr.to_base64();
        let svg = qr_svg(&payload);
        assert_ne!(svg, UNAVAILABLE_SVG);
        assert_eq!(scan_svg(&svg), payload);
    }

    #[test]
    fn oversized_payload_draws_a_placeholder_instead_of_panicking() {
        let svg = qr_svg(&"A".repeat(5000));
        assert!(svg.starts_with("<svg") && svg.contains("QR unavailable"));
    }
}
