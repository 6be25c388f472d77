//! Listings indexed with the registered analyzers are found by queries typed
//! the many ways shoppers type them.

use cargoparts_analyzers::{
    KEYWORD_ANALYZER, PART_NUMBER_ANALYZER, TEXT_ANALYZER, compact, normalize, register, terms_by_position,
};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::{Index, IndexReader, TantivyDocument, Term, doc};

struct Catalog {
    index: Index,
    reader: IndexReader,
    sku: Field,
    title: Field,
    part_numbers: Field,
    make: Field,
}

fn text_field(analyzer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(analyzer).set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

const LISTINGS: [(&str, &str, &str, &str); 6] = [
    ("A", "فلتر زيت تويوتا كامري 2018-2024 جديد 04152-YZZA1", "04152-YZZA1", "Toyota"),
    ("B", "فَلْتــر الزيت لكامرى موديل ٢٠١٩", "90915-YZZD4", "تويوتا"),
    ("C", "Oil Filter Toyota Corolla 2014-2019 New", "90915 YZZE1", "TOYOTA"),
    ("D", "بواجي لكزس ال اكس ٢٠١٦", "BKR6E", "Lexus"),
    ("E", "فحمات فرامل مرسيدس اي كلاس A271 180 01 09", "A271 180 01 09", "Mercedes-Benz"),
    ("F", "طرمبة ماء هيونداي النترا ٢٠٢١", "25100-2B700, ٢٥١٠٠-٢B٧٥٠", "Hyundai"),
];

fn catalog() -> Catalog {
    let mut builder = Schema::builder();
    let sku = builder.add_text_field("sku", STRING | STORED);
    let title = builder.add_text_field("title", text_field(TEXT_ANALYZER));
    let part_numbers = builder.add_text_field("part_numbers", text_field(PART_NUMBER_ANALYZER));
    let make = builder.add_text_field("make", text_field(KEYWORD_ANALYZER));
    let index = Index::create_in_ram(builder.build());
    register(index.tokenizers());
    let mut writer = index.writer_with_num_threads(1, 15_000_000).expect("an index writer");
    for (id, listing_title, numbers, listing_make) in LISTINGS {
        writer
            .add_document(doc!(
                sku => id,
                title => listing_title,
                part_numbers => numbers,
                make => listing_make,
            ))
            .expect("the listing is indexed");
    }
    writer.commit().expect("the commit succeeds");
    let reader = index.reader().expect("a reader");
    Catalog { index, reader, sku, title, part_numbers, make }
}

impl Catalog {
    fn skus(&self, query: &dyn Query) -> Vec<String> {
        let searcher = self.reader.searcher();
        let hits = searcher.search(query, &TopDocs::with_limit(20).order_by_score()).expect("the search runs");
        let mut skus: Vec<String> = hits
            .into_iter()
            .map(|(_, address)| {
                let doc: TantivyDocument = searcher.doc(address).expect("a stored listing");
                doc.get_first(self.sku).and_then(|v| v.as_str()).expect("a sku").to_owned()
            })
            .collect();
        skus.sort();
        skus
    }

    /// Every position of the query must match one of its alternatives.
    fn search_title(&self, query: &str) -> Vec<String> {
        let mut analyzer = self.index.tokenizers().get(TEXT_ANALYZER).expect("registered");
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms_by_position(&mut analyzer, query)
            .into_iter()
            .map(|alternatives| {
                let should: Vec<(Occur, Box<dyn Query>)> = alternatives
                    .iter()
                    .map(|text| {
                        let term = Term::from_field_text(self.title, text);
                        let query: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                        (Occur::Should, query)
                    })
                    .collect();
                let group: Box<dyn Query> = Box::new(BooleanQuery::new(should));
                (Occur::Must, group)
            })
            .collect();
        assert!(!clauses.is_empty(), "the query {query:?} has terms");
        self.skus(&BooleanQuery::new(clauses))
    }

    fn search_part_number(&self, typed: &str) -> Vec<String> {
        let term = Term::from_field_text(self.part_numbers, &compact(typed));
        self.skus(&TermQuery::new(term, IndexRecordOption::Basic))
    }

    fn parse_and_search(&self, field: Field, query: &str) -> Vec<String> {
        let parser = QueryParser::for_index(&self.index, vec![field]);
        let query = parser.parse_query(query).expect("the query parses");
        self.skus(&query)
    }
}

#[test]
fn the_article_on_either_side_does_not_stop_a_match() {
    let catalog = catalog();
    assert_eq!(catalog.search_title("فلتر الزيت"), ["A", "B"]);
    assert_eq!(catalog.search_title("فلتر زيت"), ["A", "B"]);
    assert_eq!(catalog.search_title("الفلتر"), ["A", "B"]);
}

#[test]
fn alef_yaa_and_diacritic_variants_find_each_other() {
    let catalog = catalog();
    assert_eq!(catalog.search_title("كامرى"), ["A", "B"]);
    assert_eq!(catalog.search_title("كامري"), ["A", "B"]);
    assert_eq!(catalog.search_title("فلتـــر"), ["A", "B"]);
    assert_eq!(catalog.search_title("ال إكس"), ["D"]);
}

#[test]
fn arabic_indic_and_ascii_years_find_each_other() {
    let catalog = catalog();
    assert_eq!(catalog.search_title("٢٠١٩"), ["B", "C"]);
    assert_eq!(catalog.search_title("2019"), ["B", "C"]);
    assert_eq!(catalog.search_title("2016"), ["D"]);
}

#[test]
fn a_model_with_an_attached_preposition_finds_the_model() {
    let catalog = catalog();
    assert_eq!(catalog.search_title("لكامري"), ["A", "B"]);
    assert_eq!(catalog.search_title("للكامري"), ["A", "B"]);
    assert_eq!(catalog.search_title("فلتر كامري ٢٠١٩"), ["B"]);
}

#[test]
fn english_titles_are_found_in_any_case() {
    let catalog = catalog();
    assert_eq!(catalog.search_title("OIL filter"), ["C"]);
    assert_eq!(catalog.search_title("corolla"), ["C"]);
}

#[test]
fn words_that_are_not_in_a_title_do_not_match_it() {
    let catalog = catalog();
    assert!(catalog.search_title("لتر").is_empty());
    assert!(catalog.search_title("فلتر هواء").is_empty());
}

#[test]
fn a_part_number_is_found_however_it_is_typed() {
    let catalog = catalog();
    for typed in ["04152-YZZA1", "04152 YZZA1", "04152yzza1", "٠٤١٥٢-YZZA1", "04152-", "0415", "yzza1"] {
        assert_eq!(catalog.search_part_number(typed), ["A"], "{typed}");
    }
}

#[test]
fn a_number_written_in_spaced_groups_is_found_however_it_is_typed() {
    let catalog = catalog();
    for typed in ["A271 180 01 09", "a2711800109", "A271-180-01-09", "A271.180.01.09"] {
        assert_eq!(catalog.search_part_number(typed), ["E"], "{typed}");
    }
}

#[test]
fn a_shared_leading_group_finds_every_listing_that_has_it() {
    let catalog = catalog();
    assert_eq!(catalog.search_part_number("90915"), ["B", "C"]);
    assert_eq!(catalog.search_part_number("90915-YZZE1"), ["C"]);
}

#[test]
fn each_number_of_a_listing_with_several_is_found() {
    let catalog = catalog();
    assert_eq!(catalog.search_part_number("25100-2B700"), ["F"]);
    assert_eq!(catalog.search_part_number("251002b750"), ["F"]);
    assert!(catalog.search_part_number("25100-2B799").is_empty());
}

#[test]
fn tantivys_query_parser_finds_part_numbers_through_the_same_analyzer() {
    let catalog = catalog();
    assert_eq!(catalog.parse_and_search(catalog.part_numbers, "04152yzza1"), ["A"]);
    assert_eq!(catalog.parse_and_search(catalog.part_numbers, "٠٤١٥٢-YZZA1"), ["A"]);
    assert_eq!(catalog.parse_and_search(catalog.part_numbers, "BKR6E"), ["D"]);
}

#[test]
fn tantivys_query_parser_finds_normalized_words() {
    let catalog = catalog();
    assert_eq!(catalog.parse_and_search(catalog.title, "كامرى"), ["A", "B"]);
}

#[test]
fn make_facets_match_whatever_script_or_case_the_feed_used() {
    let catalog = catalog();
    let toyota = Term::from_field_text(catalog.make, &normalize("Toyota"));
    assert_eq!(catalog.skus(&TermQuery::new(toyota, IndexRecordOption::Basic)), ["A", "C"]);
    let arabic = Term::from_field_text(catalog.make, &normalize("تويوتا"));
    assert_eq!(catalog.skus(&TermQuery::new(arabic, IndexRecordOption::Basic)), ["B"]);
}
