//! The printable simplified tax invoice page.
//!
//! Customers print or save this page, so it is a single self-contained HTML document: Arabic first
//! (`dir="rtl"`) with the English label next to every Arabic one, inline CSS only, and the ZATCA QR
//! code drawn as inline SVG. It is served under the CSP
//! `default-src 'none'; style-src 'unsafe-inline'; img-src data:`, which is why there are no scripts,
//! web fonts, external images or links. `maud` escapes every interpolated value, so product titles
//! and seller names cannot inject markup.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::qr::qr_svg;
use crate::platform::hijri::{hijri_long_ar, hijri_long_en};

/// Everything printed on the invoice, already formatted: amounts are the exact strings that went
/// into the QR code (e.g. `"200.00"`, SAR), so the page and the QR always agree.
#[derive(Debug, Clone, Copy)]
pub struct InvoicePage<'a> {
    /// Invoice number, e.g. `INV-S0012-000045`.
    pub number: &'a str,
    pub issued_at: DateTime<Utc>,
    /// Name of the issuer printed on the invoice.
    pub seller_name: &'a str,
    /// Issuer VAT registration number (15 digits).
    pub vat_number: &'a str,
    /// Order number, e.g. `CP-2026-000123`.
    pub order_number: &'a str,
    pub lines: &'a [InvoicePageLine<'a>],
    /// Total excluding VAT.
    pub subtotal: &'a str,
    /// VAT total.
    pub vat: &'a str,
    /// Total including VAT.
    pub total: &'a str,
    /// The ZATCA TLV payload in Base64, drawn as the QR code.
    pub qr_base64: &'a str,
}

/// One invoice line; amounts are SAR strings, the unit price includes VAT.
#[derive(Debug, Clone, Copy)]
pub struct InvoicePageLine<'a> {
    pub title: &'a str,
    pub sku: &'a str,
    pub quantity: u32,
    pub unit_price: &'a str,
    pub line_total: &'a str,
    pub vat: &'a str,
}

/// Renders the complete HTML document.
///
/// The Gregorian date is printed in UTC as agreed for invoices, while the Hijri date is the day in
/// Riyadh (see the `hijri` module); between 21:00 and 24:00 UTC the two therefore name adjacent days,
/// which is correct: a Saudi customer's Hijri day has already turned.
pub fn render(page: &InvoicePage) -> String {
    html! {
        (DOCTYPE)
        html lang="ar" dir="rtl" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "فاتورة ضريبية مبسطة " (page.number) " / Simplified Tax Invoice" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main.invoice {
                    header.top {
                        div.details {
                            h1 { (bilingual("فاتورة ضريبية مبسطة", "Simplified Tax Invoice")) }
                            dl {
                                dt { (bilingual("رقم الفاتورة", "Invoice number")) }
                                dd { (ltr(page.number)) }
                                dt { (bilingual("تاريخ الإصدار", "Issue date")) }
                                dd {
                                    (ltr(&page.issued_at.format("%Y-%m-%d %H:%M UTC").to_string()))
                                    br;
                                    span.hijri { (hijri_long_ar(page.issued_at)) }
                                    br;
                                    span.en lang="en" dir="ltr" { (hijri_long_en(page.issued_at)) }
                                }
                                dt { (bilingual("البائع", "Seller")) }
                                // Names and titles may be Arabic or English; `<bdi>` gives each its own
                                // direction, so "Brake pads (front)" is not garbled by the RTL page.
                                dd { bdi { (page.seller_name) } }
                                dt { (bilingual("الرقم الضريبي", "VAT number")) }
                                dd { (ltr(page.vat_number)) }
                                dt { (bilingual("رقم الطلب", "Order number")) }
                                dd { (ltr(page.order_number)) }
                            }
                        }
                        // The SVG comes from `qr_svg`, which only writes fixed markup and numbers (the
                        // payload becomes modules, never text), so it is safe to insert unescaped.
                        figure.qr role="img" aria-label="ZATCA QR code" {
                            (PreEscaped(qr_svg(page.qr_base64)))
                        }
                    }
                    table.lines {
                        thead {
                            tr {
                                th { (bilingual("الوصف", "Description")) }
                                th { (bilingual("رمز المنتج", "SKU")) }
                                th.num { (bilingual("الكمية", "Qty")) }
                                th.num { (bilingual("سعر الوحدة شامل الضريبة", "Unit price incl. VAT")) }
                                th.num { (bilingual("الضريبة", "VAT")) }
                                th.num { (bilingual("الإجمالي", "Line total")) }
                            }
                        }
                        tbody {
                            @for line in page.lines {
                                tr {
                                    td { bdi { (line.title) } }
                                    td { (ltr(line.sku)) }
                                    td.num { (line.quantity) }
                                    td.num { (ltr(line.unit_price)) }
                                    td.num { (ltr(line.vat)) }
                                    td.num { (ltr(line.line_total)) }
                                }
                            }
                        }
                    }
                    p.currency-note { (bilingual("المبالغ بالريال السعودي", "Amounts in Saudi riyals (SAR)")) }
                    table.totals {
                        tr {
                            th { (bilingual("الإجمالي غير شامل ضريبة القيمة المضافة", "Total excl. VAT")) }
                            td.num { (amount(page.subtotal)) }
                        }
                        tr {
                            th { (bilingual("ضريبة القيمة المضافة ١٥٪", "VAT 15%")) }
                            td.num { (amount(page.vat)) }
                        }
                        tr.grand {
                            th { (bilingual("الإجمالي شامل ضريبة القيمة المضافة", "Total incl. VAT")) }
                            td.num { (amount(page.total)) }
                        }
                    }
                }
            }
        }
    }
    .into_string()
}

/// An Arabic label followed by its English translation; CSS decides whether they share a line.
fn bilingual(arabic: &str, english: &str) -> Markup {
    html! {
        span.ar { (arabic) }
        span.sep { " / " }
        span.en lang="en" dir="ltr" { (english) }
    }
}

/// Codes, numbers and amounts are left-to-right text; isolating them keeps `INV-S0012-000045` or
/// `1,200.00` from being reordered by the surrounding right-to-left paragraph.
fn ltr(text: &str) -> Markup {
    html! { bdi dir="ltr" { (text) } }
}

/// An amount with the currency in both languages.
fn amount(value: &str) -> Markup {
    html! { (ltr(value)) " ر.س " span.en lang="en" { "SAR" } }
}

/// Print-first styling: black on white, system fonts (the CSP forbids web fonts), A4 by default and
/// a compact layout when the page is narrow, as on 80 mm receipt printers and phones.
const STYLE: &str = r#"
*{box-sizing:border-box}
@page{margin:10mm}
body{margin:0;background:#fff;color:#000;font:14px/1.45 system-ui,"Segoe UI",Tahoma,"Noto Sans Arabic",Arial,sans-serif}
.invoice{max-width:190mm;margin:0 auto;padding:8mm}
h1{font-size:1.4em;margin:0 0 .6em}
.en{color:#444;font-size:.85em}
.top{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:flex-start;gap:1em}
.details{flex:1 1 60%}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25em 1em;margin:0}
dt{font-weight:600}
dd{margin:0}
.qr{margin:0;flex:0 0 auto}
.qr svg{display:block;width:40mm;height:40mm}
table{width:100%;border-collapse:collapse;margin-top:1em}
th,td{border:1px solid #888;padding:.3em .5em;text-align:start;vertical-align:top}
thead th{background:#eee}
thead th .sep{display:none}
thead th .en{display:block}
.num{text-align:end;white-space:nowrap}
.currency-note{margin:.4em 0 0;font-size:.85em}
.totals{width:auto;margin-inline-start:auto}
.totals .grand th,.totals .grand td{font-weight:700;font-size:1.1em}
tr{break-inside:avoid}
@media print{.invoice{max-width:none;padding:0}thead th{background:none}}
@media (max-width:100mm){
@page{margin:2mm}
body{font-size:11px}
.invoice{padding:1mm}
.top{flex-direction:column;align-items:center}
.details{width:100%}
.sep{display:none}
.sep+.en{display:block}
th,td{padding:.15em .25em}
.num{white-space:normal}
.totals{width:100%}
.qr svg{width:35mm;height:35mm}
}
"#;

#[cfg(test)]
mod tests {
    use super::super::qr::InvoiceQr;
    use super::*;

    fn with_page<R>(title: &str, check: impl FnOnce(&str) -> R) -> R {
        let issued_at: DateTime<Utc> = "2026-12-03T14:25:09Z".parse().expect("valid timestamp");
        let qr = InvoiceQr {
            seller_name: "CargoParts",
            vat_number: "300000000000003",
            issued_at,
            total_with_vat: "230.00",
            vat_total: "30.00",
        }
        .to_base64();
        let lines = [
            InvoicePageLine {
                title,
                sku: "BRK-PAD-0042",
                quantity: 2,
                unit_price: "69.00",
                line_total: "138.00",
                vat: "18.00",
            },
            InvoicePageLine {
                title: "فلتر زيت / Oil filter",
                sku: "OIL-FLT-7",
                quantity: 1,
                unit_price: "92.00",
                line_total: "92.00",
                vat: "12.00",
            },
        ];
        let page = InvoicePage {
            number: "INV-S0012-000045",
            issued_at,
            seller_name: "قطع غيار الرياض & Co.",
            vat_number: "300000000000003",
            order_number: "CP-2026-000123",
            lines: &lines,
            subtotal: "200.00",
            vat: "30.00",
            total: "230.00",
            qr_base64: &qr,
        };
        check(&render(&page))
    }

    #[test]
    fn is_an_arabic_right_to_left_document() {
        with_page("Brake pads", |html| {
            assert!(html.starts_with("<!DOCTYPE html>"));
            assert!(html.contains(r#"<html lang="ar" dir="rtl">"#));
            assert!(html.contains("فاتورة ضريبية مبسطة"));
            assert!(html.contains("Simplified Tax Invoice"));
        });
    }

    #[test]
    fn escapes_user_text() {
        with_page("<script>alert(1)</script>", |html| {
            assert!(!html.contains("<script"), "no script element may appear");
            assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
            assert!(html.contains("قطع غيار الرياض &amp; Co."));
        });
    }

    #[test]
    fn shows_identifiers_and_totals() {
        with_page("Brake pads", |html| {
            for expected in [
                "INV-S0012-000045",
                "CP-2026-000123",
                "300000000000003",
                "BRK-PAD-0042",
                "200.00",
                "30.00",
                "230.00",
                "138.00",
                "ر.س",
                "SAR",
            ] {
                assert!(html.contains(expected), "missing {expected}");
            }
        });
    }

    #[test]
    fn shows_gregorian_and_hijri_dates() {
        with_page("Brake pads", |html| {
            assert!(html.contains("2026-12-03 14:25 UTC"));
            assert!(html.contains("٢٣ جمادى الآخرة ١٤٤٨ هـ"));
            assert!(html.contains("23 Jumada al-Akhirah 1448 AH"));
        });
    }

    #[test]
    fn draws_the_qr_code_inline() {
        with_page("Brake pads", |html| {
            assert!(html.contains("<svg"));
            assert!(html.contains("</svg>"));
            assert!(!html.contains("<?xml"));
        });
    }

    #[test]
    fn loads_nothing_the_content_security_policy_would_block() {
        with_page("Brake pads", |html| {
            for forbidden in ["<script", "<link", "<img", "src=", "href=", "url(", "@import", "style=\""] {
                assert!(!html.contains(forbidden), "found {forbidden}");
            }
        });
    }
}
