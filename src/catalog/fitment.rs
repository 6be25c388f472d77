//! Which cars a part fits: the model years the catalog knows.

use validator::ValidationError;

/// Oldest model year a fitment, a title or a search may name.
pub const MODEL_YEAR_MIN: i16 = 1950;
/// Newest model year a fitment, a title or a search may name.
pub const MODEL_YEAR_MAX: i16 = 2035;

/// Whether `year` is a model year the catalog accepts.
pub fn is_model_year(year: i64) -> bool {
    (i64::from(MODEL_YEAR_MIN)..=i64::from(MODEL_YEAR_MAX)).contains(&year)
}

/// Validates a model year field.
pub fn model_year(year: i64) -> Result<(), ValidationError> {
    if is_model_year(year) {
        return Ok(());
    }
    Err(ValidationError::new("range")
        .with_message(format!("must be between {MODEL_YEAR_MIN} and {MODEL_YEAR_MAX}").into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_years_are_bounded_both_ways() {
        assert!(is_model_year(i64::from(MODEL_YEAR_MIN)) && is_model_year(i64::from(MODEL_YEAR_MAX)));
        assert!(!is_model_year(i64::from(MODEL_YEAR_MIN) - 1) && !is_model_year(i64::from(MODEL_YEAR_MAX) + 1));
        let message = model_year(1900).unwrap_err().message.unwrap();
        assert_eq!(message, "must be between 1950 and 2035");
    }
}
