//! The index schema: which listing facts are searchable, filterable, sortable, stored.

use cargoparts_analyzers::{JAPANESE_ANALYZER, PART_NUMBER_ANALYZER, TEXT_ANALYZER};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

/// Bumped whenever the schema or the analyzers change meaning: an index built by an
/// older version is rebuilt rather than searched with mismatched terms.
pub const INDEX_FORMAT: u32 = 4;

/// Handles to every field of the listing index.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Listing id (UUID text), the key every update and delete goes through.
    pub id: Field,
    pub title: Field,
    pub title_ar: Field,
    pub description: Field,
    /// The titles again when they hold Japanese, segmented into words by Lindera
    /// (empty without a dictionary).
    pub japanese_title: Field,
    /// The description again when it holds Japanese, segmented likewise.
    pub japanese_description: Field,
    /// OEM and aftermarket numbers, and numbers found in the title and description.
    pub part_numbers: Field,
    /// Compact part numbers as exact terms, for interchange lookups.
    pub part_number_exact: Field,
    pub category: Field,
    pub condition: Field,
    pub city: Field,
    pub seller: Field,
    /// `true` for listings of verified sellers; absent otherwise.
    pub verified: Field,
    /// Canonical make names (multi-valued), for facets.
    pub make: Field,
    /// Canonical model names (multi-valued).
    pub model: Field,
    /// Vehicle terms `toyota` and `toyota|camry`, lowercase.
    pub vehicle: Field,
    /// Vehicle-year terms `toyota|camry|2019`, `toyota|2019` and `2019`.
    pub vehicle_year: Field,
    pub year_from: Field,
    pub year_to: Field,
    /// Price in halalas.
    pub price: Field,
    pub quantity: Field,
    /// Creation time, seconds since the epoch.
    pub created_at: Field,
    /// A key unique to the listing (the random half of its id) that breaks ties in
    /// every ordering, so every replica pages through equal scores and equal prices in
    /// the same order, whatever the layout of its segments.
    pub tiebreak: Field,
    /// The result view as JSON, rendered without touching PostgreSQL.
    pub view: Field,
}

/// The term of [`Fields::verified`].
pub const VERIFIED: &str = "true";

/// Name of the [`Fields::tiebreak`] fast field.
pub const TIEBREAK: &str = "tiebreak";

/// Builds the schema and returns it with its field handles.
pub fn build() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let analyzed = |analyzer: &str, positions: bool| {
        let record = if positions { IndexRecordOption::WithFreqsAndPositions } else { IndexRecordOption::WithFreqs };
        TextOptions::default()
            .set_indexing_options(TextFieldIndexing::default().set_tokenizer(analyzer).set_index_option(record))
    };
    let text = |positions: bool| analyzed(TEXT_ANALYZER, positions);
    let part_numbers = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(PART_NUMBER_ANALYZER).set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        title: builder.add_text_field("title", text(true)),
        title_ar: builder.add_text_field("title_ar", text(true)),
        description: builder.add_text_field("description", text(false)),
        japanese_title: builder.add_text_field("japanese_title", analyzed(JAPANESE_ANALYZER, true)),
        japanese_description: builder.add_text_field("japanese_description", analyzed(JAPANESE_ANALYZER, false)),
        part_numbers: builder.add_text_field("part_numbers", part_numbers),
        part_number_exact: builder.add_text_field("part_number_exact", STRING),
        category: builder.add_text_field("category", STRING | FAST),
        condition: builder.add_text_field("condition", STRING | FAST),
        city: builder.add_text_field("city", STRING | FAST),
        seller: builder.add_text_field("seller", STRING | FAST),
        verified: builder.add_text_field("verified", STRING),
        make: builder.add_text_field("make", STRING | FAST),
        model: builder.add_text_field("model", STRING | FAST),
        vehicle: builder.add_text_field("vehicle", STRING),
        vehicle_year: builder.add_text_field("vehicle_year", STRING),
        year_from: builder.add_i64_field("year_from", FAST),
        year_to: builder.add_i64_field("year_to", FAST),
        price: builder.add_u64_field("price", INDEXED | FAST),
        quantity: builder.add_u64_field("quantity", INDEXED | FAST),
        created_at: builder.add_i64_field("created_at", INDEXED | FAST),
        tiebreak: builder.add_u64_field(TIEBREAK, FAST),
        view: builder.add_text_field("view", STORED),
    };
    (builder.build(), fields)
}

/// The vehicle term of a make, or of a make and model.
pub fn vehicle_term(make: &str, model: Option<&str>) -> String {
    match model {
        Some(model) => format!("{}|{}", make.to_lowercase(), model.to_lowercase()),
        None => make.to_lowercase(),
    }
}

/// The vehicle-year term of a make (and model) in a model year; `year_term(None, None, y)`
/// is the year alone.
pub fn year_term(make: Option<&str>, model: Option<&str>, year: u16) -> String {
    match (make, model) {
        (Some(make), model) => format!("{}|{year}", vehicle_term(make, model)),
        (None, _) => year.to_string(),
    }
}
