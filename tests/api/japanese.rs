//! Japanese listings (imported JDM parts): found by their Japanese words through
//! Lindera, by their car and part through the vocabulary's Japanese names, and by their
//! part numbers; without the dictionary the service still serves and finds them by what
//! needs no dictionary.

use std::path::{Path, PathBuf};

use cargoparts::search::analysis::{IPADIC_SOURCES, TextAnalysis, build_dictionary};
use cargoparts::search::index::{SearchIndex, Watermark, commit};
use cargoparts::search::schema::INDEX_FORMAT;
use serde_json::{Value, json};

use crate::helpers::{TestApp, ndjson, record, spawn_app_with};

/// The dictionary the test settings name (`scripts/test` builds it; built here when a
/// test runs alone).
fn dictionary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("dictionaries/ipadic");
            build_dictionary(Path::new(IPADIC_SOURCES), &dir, false).expect("the IPADIC dictionary builds");
            dir
        })
        .clone()
}

const TITLE: &str = "トヨタカムリ用オイルフィルター純正品 04152-YZZA1";

/// The Japanese listing, with no fitment (its car is read off the title), and two
/// others that share some of its words.
async fn load_catalog(app: &TestApp) {
    let (_, key) = app.seller_with_key("jdm-importer").await;
    let mut japanese = record("JP-1");
    japanese["title"] = json!(TITLE);
    japanese["description"] = json!("日本から輸入した中古車の部品です。");
    japanese["fitment"] = json!([]);
    japanese["oem_numbers"] = json!([]);
    let mut civic = record("JP-2");
    civic["title"] = json!("ホンダシビック用エアフィルター");
    civic["description"] = json!("純正互換品");
    civic["category"] = json!("air-filter");
    civic["fitment"] = json!([]);
    civic["oem_numbers"] = json!(["17220-R1A-A01"]);
    let mut arabic = record("AR-1");
    arabic["title"] = json!("فلتر زيت نيسان باترول");
    arabic["fitment"] = json!([{"make": "Nissan", "model": "Patrol", "year_from": 2012, "year_to": 2020}]);
    arabic["oem_numbers"] = json!(["15208-65F0E"]);
    let response = app.post_inventory(&key, "application/x-ndjson", ndjson(&[japanese, civic, arabic])).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    app.wait_for_index().await;
}

async fn titles(app: &TestApp, q: &str) -> Vec<String> {
    let body: Value = app.search(&[("q", q)]).await;
    body["data"].as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_japanese_title_is_found_by_its_japanese_words_its_car_its_part_and_its_part_number() {
    let dictionary = dictionary();
    let app = spawn_app_with(|s| s.search.japanese_dictionary = dictionary).await;
    load_catalog(&app).await;
    assert_eq!(app.ready().await["search"]["japanese_analysis"], "on");

    for q in ["オイルフィルター", "カムリ", "camry oil filter", "فلتر زيت كامري", "04152-YZZA1", "04152YZZA1"]
    {
        let found = titles(&app, q).await;
        assert_eq!(found.first().map(String::as_str), Some(TITLE), "{q}: {found:?}");
    }
    // Words no vocabulary knows, written inside an unspaced run: only segmentation
    // finds them, in the title before the description.
    assert_eq!(titles(&app, "輸入").await, [TITLE]);
    let found = titles(&app, "純正品").await;
    assert_eq!(found, [TITLE, "ホンダシビック用エアフィルター"], "its description says 純正互換品");
    // The other Japanese listing is found by its own words, not by the shared ones alone.
    assert_eq!(
        titles(&app, "シビック エアフィルター").await.first().map(String::as_str),
        Some("ホンダシビック用エアフィルター")
    );

    let understood = &app.search(&[("q", "トヨタカムリ オイルフィルター 中古")]).await["query"];
    assert_eq!(understood["make"], "Toyota", "{understood}");
    assert_eq!(understood["model"], "Camry", "{understood}");
    assert_eq!(understood["categories"], json!(["oil-filter"]), "{understood}");
    assert_eq!(understood["condition"], "used", "{understood}");
}

#[tokio::test]
async fn the_car_read_off_a_japanese_title_is_its_fitment_for_filters_and_facets() {
    let dictionary = dictionary();
    let app = spawn_app_with(|s| s.search.japanese_dictionary = dictionary).await;
    load_catalog(&app).await;
    let body = app.search(&[("make", "Toyota"), ("model", "Camry")]).await;
    let found: Vec<&str> = body["data"].as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap()).collect();
    assert_eq!(found, [TITLE]);
    let body = app.search(&[("q", "エアフィルター")]).await;
    let makes = body["facets"]["make"].to_string();
    assert!(makes.contains("Honda"), "{makes}");
}

#[tokio::test]
async fn without_the_dictionary_the_service_serves_and_finds_japanese_listings_by_what_needs_none() {
    let missing = tempfile::tempdir().unwrap();
    let app = spawn_app_with(|s| s.search.japanese_dictionary = missing.path().join("ipadic")).await;
    load_catalog(&app).await;
    let ready = app.client.get(app.url("/api/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["search"]["japanese_analysis"], "off", "{ready}");

    for q in ["04152-YZZA1", "camry oil filter", "فلتر زيت كامري", "カムリ"] {
        let found = titles(&app, q).await;
        assert_eq!(found.first().map(String::as_str), Some(TITLE), "{q}: {found:?}");
    }
    // A word inside the run is out of reach without segmentation.
    assert!(titles(&app, "輸入").await.is_empty());
}

#[tokio::test]
async fn arabic_and_english_search_is_the_same_with_or_without_the_dictionary() {
    let with = spawn_app_with(|s| s.search.japanese_dictionary = dictionary()).await;
    let missing = tempfile::tempdir().unwrap();
    let without = spawn_app_with(|s| s.search.japanese_dictionary = missing.path().join("ipadic")).await;
    load_catalog(&with).await;
    load_catalog(&without).await;
    for q in ["فلتر زيت باترول", "oil filter", "15208-65F0E", "فلتر", "نيسان"] {
        assert_eq!(titles(&with, q).await, titles(&without, q).await, "{q}");
    }
}

#[test]
fn an_index_built_with_other_japanese_analysis_is_discarded_and_rebuilt() {
    let on = TextAnalysis::with_japanese(&dictionary()).unwrap();
    let off = TextAnalysis::default();
    let dir = tempfile::tempdir().unwrap();
    for (built_with, opened_with) in [(&off, &on), (&on, &off)] {
        {
            let index = SearchIndex::open_or_create(dir.path(), built_with).unwrap();
            let mut writer = index.writer().unwrap();
            let watermark = Watermark { format: INDEX_FORMAT, japanese: built_with.japanese(), xmin: 7, seq: 3 };
            commit(&mut writer, watermark).unwrap();
        }
        let same = SearchIndex::open_or_create(dir.path(), built_with).unwrap();
        assert_eq!(same.watermark().unwrap().map(|w| w.seq), Some(3), "kept when the analysis is the same");
        drop(same);
        let other = SearchIndex::open_or_create(dir.path(), opened_with).unwrap();
        assert_eq!(other.watermark().unwrap(), None, "discarded when it differs");
        assert_eq!(other.japanese, opened_with.japanese());
    }
}
