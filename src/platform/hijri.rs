//! Hijri (Umm al-Qura) dates for display.
//!
//! Saudi customers and ZATCA-facing documents expect the Hijri date next to the Gregorian one. The
//! Umm al-Qura calendar is the official civil calendar of Saudi Arabia; its month lengths come from
//! KACST tables, so the date cannot be computed by a simple formula and we rely on `icu_calendar`,
//! which ships those tables compiled into the crate (no data provider or data files are needed).
//!
//! This is a presentation concern only: timestamps are stored and compared in UTC everywhere; these
//! functions turn one into the Hijri *calendar day* a person in Saudi Arabia would name.

use chrono::{DateTime, Datelike, FixedOffset, Utc};
use icu_calendar::Date;
use icu_calendar::cal::Hijri;
use icu_calendar::types::RataDie;

/// Asia/Riyadh: UTC+3 all year, Saudi Arabia has no daylight saving time, so a fixed offset is exact
/// and we do not need a time-zone database.
///
/// `east_opt` only fails for offsets of a day or more; the `panic!` runs at compile time (this is a
/// `const`), so it can never fire in a running service.
const RIYADH: FixedOffset = match FixedOffset::east_opt(3 * 60 * 60) {
    Some(offset) => offset,
    None => panic!("UTC+3 is a valid offset"),
};

/// Arabic month names as printed on Saudi calendars, indexed by month number - 1.
const MONTHS_AR: [&str; 12] = [
    "محرم",
    "صفر",
    "ربيع الأول",
    "ربيع الآخر",
    "جمادى الأولى",
    "جمادى الآخرة",
    "رجب",
    "شعبان",
    "رمضان",
    "شوال",
    "ذو القعدة",
    "ذو الحجة",
];

/// English transliterations of the month names, indexed by month number - 1.
const MONTHS_EN: [&str; 12] = [
    "Muharram",
    "Safar",
    "Rabi' al-Awwal",
    "Rabi' al-Akhir",
    "Jumada al-Ula",
    "Jumada al-Akhirah",
    "Rajab",
    "Sha'ban",
    "Ramadan",
    "Shawwal",
    "Dhu al-Qa'dah",
    "Dhu al-Hijjah",
];

/// Arabic-Indic digits (U+0660..U+0669), the digits used in Arabic text in Saudi Arabia.
const ARABIC_INDIC_DIGITS: [char; 10] = ['٠', '١', '٢', '٣', '٤', '٥', '٦', '٧', '٨', '٩'];

/// A Hijri calendar day: year (AH), month 1..=12, day 1..=30.
struct HijriDay {
    year: i32,
    month: u8,
    day: u8,
}

impl HijriDay {
    /// Converts an instant to the Umm al-Qura day it falls on in Saudi Arabia; see [`hijri_date`] for
    /// why Riyadh time and what happens outside the official tables.
    ///
    /// We go through a Rata Die day number rather than `Date::try_new_iso`, whose constructor rejects
    /// years beyond ±9999, so the conversion has no error path: every date chrono can represent lies
    /// inside icu's supported range.
    fn at(at: DateTime<Utc>) -> Self {
        // `with_timezone(..).date_naive()` would panic for the last three hours chrono can represent;
        // there the UTC day is as good an answer as any.
        let utc = at.naive_utc();
        let riyadh_day = utc.checked_add_offset(RIYADH).unwrap_or(utc).date();
        // Rata Die day 1 is 0001-01-01 in the proleptic Gregorian calendar, the same day chrono's
        // `num_days_from_ce` counts as 1.
        let rata_die = RataDie::new(i64::from(riyadh_day.num_days_from_ce()));
        let date = Date::from_rata_die(rata_die, Hijri::new_umm_al_qura());
        Self { year: date.year().extended_year(), month: date.month().number(), day: date.day_of_month().0 }
    }

    /// The month name from `names`; Hijri months are always numbered 1..=12, the fallback only
    /// keeps a hypothetical out-of-range month from panicking.
    fn month_name(&self, names: &[&'static str; 12]) -> &'static str {
        usize::from(self.month).checked_sub(1).and_then(|index| names.get(index)).copied().unwrap_or("?")
    }
}

/// The Umm al-Qura date of the day in Saudi Arabia, as `YYYY-MM-DD` (e.g. `1448-06-12`).
///
/// The calendar day is taken in Riyadh time (UTC+3, no daylight saving), not in UTC: an order placed
/// at 22:00 UTC is already 01:00 the next day in Riyadh, and the customer expects that day's date.
///
/// This never fails or panics. Between 1300 and 1600 AH (1882–2174 CE) icu uses the official KACST
/// Umm al-Qura tables; outside them it silently falls back to the tabular (arithmetic) Hijri
/// calendar, which can differ from Umm al-Qura by a day or two — acceptable for dates no invoice will
/// carry. Dates before the Hijra come out with a year of zero or below. The same day is used by
/// [`hijri_long_ar`] and [`hijri_long_en`].
pub fn hijri_date(at: DateTime<Utc>) -> String {
    let hijri = HijriDay::at(at);
    format!("{:04}-{:02}-{:02}", hijri.year, hijri.month, hijri.day)
}

/// The Hijri date written out in Arabic for printed invoices, e.g. `١٢ جمادى الآخرة ١٤٤٨ هـ`.
///
/// Uses Arabic-Indic digits and the `هـ` (hijri) suffix, as Saudi documents do.
pub fn hijri_long_ar(at: DateTime<Utc>) -> String {
    let hijri = HijriDay::at(at);
    format!(
        "{} {} {} هـ",
        to_arabic_indic_digits(&hijri.day.to_string()),
        hijri.month_name(&MONTHS_AR),
        to_arabic_indic_digits(&hijri.year.to_string()),
    )
}

/// The Hijri date written out in English for printed invoices, e.g. `12 Jumada al-Akhirah 1448 AH`.
pub fn hijri_long_en(at: DateTime<Utc>) -> String {
    let hijri = HijriDay::at(at);
    format!("{} {} {} AH", hijri.day, hijri.month_name(&MONTHS_EN), hijri.year)
}

/// Replaces ASCII digits with Arabic-Indic ones, leaving every other character alone.
fn to_arabic_indic_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            // `to_digit(10)` only returns 0..=9, so the index is always in bounds.
            Some(digit) => ARABIC_INDIC_DIGITS[digit as usize],
            None => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("test timestamps are valid RFC 3339")
    }

    /// Known Umm al-Qura conversions, checked independently of icu with the Python packages
    /// `hijridate` 2.6.0, `hijri-converter` 2.3.1 and `ummalqura` 2.0.1 (all three agree).
    /// The Gregorian side is the day in Riyadh, so the UTC instants below are chosen with that in mind.
    const KNOWN: &[(&str, &str, &str)] = &[
        // ZATCA's sample invoice time: midday, no boundary effects.
        ("2021-07-12T14:25:09Z", "1442-12-02", "2 Dhu al-Hijjah 1442 AH"),
        // Gregorian leap day.
        ("2024-02-29T09:00:00Z", "1445-08-19", "19 Sha'ban 1445 AH"),
        // Hijri "leap day": 30 Dhu al-Hijjah, only present in 355-day years.
        ("2024-07-06T12:00:00Z", "1445-12-30", "30 Dhu al-Hijjah 1445 AH"),
        // Riyadh-midnight boundary: 20:59:59 UTC is still 25 June in Riyadh (last day of 1446)...
        ("2025-06-25T20:59:59Z", "1446-12-29", "29 Dhu al-Hijjah 1446 AH"),
        // ...and 21:00 UTC is already 26 June there: 1 Muharram 1447, the new year.
        ("2025-06-25T21:00:00Z", "1447-01-01", "1 Muharram 1447 AH"),
        // Eid al-Fitr 1447 starts at Riyadh midnight, i.e. 21:00 UTC the evening before.
        ("2026-03-19T20:59:59Z", "1447-09-30", "30 Ramadan 1447 AH"),
        ("2026-03-19T21:00:00Z", "1447-10-01", "1 Shawwal 1447 AH"),
        // Start of 1448.
        ("2026-06-16T08:00:00Z", "1448-01-01", "1 Muharram 1448 AH"),
        ("2026-11-22T10:00:00Z", "1448-06-12", "12 Jumada al-Akhirah 1448 AH"),
        ("2026-12-03T14:25:00Z", "1448-06-23", "23 Jumada al-Akhirah 1448 AH"),
        // Well inside the table, far from today.
        ("2000-01-01T00:00:00Z", "1420-09-24", "24 Ramadan 1420 AH"),
    ];

    #[test]
    fn converts_known_umm_al_qura_dates() {
        for &(instant, numeric, english) in KNOWN {
            assert_eq!(hijri_date(utc(instant)), numeric, "numeric date for {instant}");
            assert_eq!(hijri_long_en(utc(instant)), english, "English date for {instant}");
        }
    }

    #[test]
    fn writes_arabic_date_with_arabic_indic_digits() {
        assert_eq!(hijri_long_ar(utc("2026-11-22T10:00:00Z")), "١٢ جمادى الآخرة ١٤٤٨ هـ");
        assert_eq!(hijri_long_ar(utc("2025-06-25T21:00:00Z")), "١ محرم ١٤٤٧ هـ");
        assert_eq!(hijri_long_ar(utc("2026-03-19T21:00:00Z")), "١ شوال ١٤٤٧ هـ");
    }

    #[test]
    fn converts_digits_only() {
        assert_eq!(to_arabic_indic_digits("0123456789 AH-"), "٠١٢٣٤٥٦٧٨٩ AH-");
    }

    #[test]
    fn dates_outside_the_official_tables_do_not_panic() {
        // 1300 AH starts in 1882 and 1600 AH ends in 2174; beyond that icu computes the date.
        for instant in [
            DateTime::<Utc>::MIN_UTC,
            utc("1700-01-01T00:00:00Z"),
            utc("2300-01-01T00:00:00Z"),
            DateTime::<Utc>::MAX_UTC,
        ] {
            let numeric = hijri_date(instant);
            assert!(!numeric.is_empty());
            assert!(!hijri_long_ar(instant).contains('?'), "month name for {instant}");
            assert!(!hijri_long_en(instant).contains('?'), "month name for {instant}");
        }
        // Outside the tables the result is the tabular (arithmetic) Hijri date; these two match the
        // `islamic` module of the Python package `convertdate` 2.5.1, which implements that calendar.
        assert_eq!(hijri_date(utc("1700-01-01T12:00:00Z")), "1111-07-10");
        assert_eq!(hijri_date(utc("2300-01-01T12:00:00Z")), "1729-12-08");
    }
}
