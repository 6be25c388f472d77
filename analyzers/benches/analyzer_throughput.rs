//! Throughput of the registered analyzers over a fixed set of listing titles.
//!
//! The titles are built here, deterministically, with the habits of real
//! listings: Arabic with diacritics and tatweel, English, mixed, Arabic-Indic
//! years, and part numbers typed with and without separators.

use std::hint::black_box;
use std::time::Duration;

use cargoparts_analyzers::{
    JAPANESE_ANALYZER, JapaneseTokenizer, PART_NUMBER_ANALYZER, TEXT_ANALYZER, analyze_query, register,
    register_japanese,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tantivy::tokenizer::{TextAnalyzer, TokenizerManager};

const PARTS_AR: [&str; 10] = [
    "فلتر زيت",
    "فَلْتر الهواء",
    "بواجي",
    "فحمات فرامل",
    "رديتر",
    "طرمبة مويه",
    "كمبروسر مكيف",
    "شمعة أمامية",
    "مساعدات خلفية",
    "سير تايمن",
];
const PARTS_EN: [&str; 6] = ["Oil Filter", "spark plugs", "Brake Pads", "radiator", "water pump", "headlight"];
const CARS_AR: [&str; 8] = [
    "تويوتا كامرى",
    "لكامري",
    "هيونداي النترا",
    "نيسان باترول",
    "لكزس ال اكس",
    "جمس يوكن",
    "كيا سيراتو",
    "فورد اف 150",
];
const CARS_EN: [&str; 6] =
    ["Toyota Camry", "Hyundai Elantra", "Nissan Patrol", "Honda Accord", "Ford F-150", "Lexus LX"];
const YEARS: [&str; 5] = ["2018-2024", "موديل ٢٠١٩", "من 2012 إلى 2017", "٢٠١٥ - ٢٠٢٠", "2022"];
const NUMBERS: [&str; 8] = [
    "04152-YZZA1",
    "04152yzza1",
    "٠٤١٥٢ YZZA1",
    "A271 180 01 09",
    "BKR6E",
    "90919-01253",
    "0 986 452 041",
    "8LBT-61808-DA",
];
const CONDITIONS: [&str; 5] = ["جديد", "مستعمل نظيف", "وكالة", "used", "New"];

/// A few hundred titles, the same on every run.
fn titles() -> Vec<String> {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    (0..400)
        .map(|_| match next(3) {
            0 => format!(
                "{} {} {} {} {}",
                PARTS_AR[next(PARTS_AR.len())],
                CARS_AR[next(CARS_AR.len())],
                YEARS[next(YEARS.len())],
                CONDITIONS[next(CONDITIONS.len())],
                NUMBERS[next(NUMBERS.len())],
            )
            .replace("ر ", "ــر "),
            1 => format!(
                "{} {} {} {}",
                PARTS_EN[next(PARTS_EN.len())],
                CARS_EN[next(CARS_EN.len())],
                YEARS[0],
                NUMBERS[next(NUMBERS.len())],
            ),
            _ => format!(
                "{} {} {} {}",
                PARTS_AR[next(PARTS_AR.len())],
                CARS_EN[next(CARS_EN.len())],
                YEARS[next(YEARS.len())],
                CONDITIONS[next(CONDITIONS.len())],
            ),
        })
        .collect()
}

const PARTS_JA: [&str; 6] =
    ["オイルフィルター", "エアクリーナー", "ブレーキパッド", "ラジエーター", "ミッション", "ヘッドライト"];
const CARS_JA: [&str; 5] = ["トヨタカムリ", "ランクルプラド", "日産パトロール", "ホンダシビック", "三菱パジェロ"];
const NOTES_JA: [&str; 4] = ["純正品", "中古 動作確認済み", "新品 即納", "日本から輸入した部品です"];

/// Japanese titles as importers write them: no spaces between car, 用 and part.
fn japanese_titles() -> Vec<String> {
    (0..400)
        .map(|i| {
            format!(
                "{}用{}{} {}",
                CARS_JA[i % CARS_JA.len()],
                PARTS_JA[i / 5 % PARTS_JA.len()],
                NOTES_JA[i / 7 % NOTES_JA.len()],
                NUMBERS[i % NUMBERS.len()]
            )
        })
        .collect()
}

/// The dictionary `cargoparts setup-dictionaries` builds, when it has been built.
fn japanese_tokenizer() -> Option<JapaneseTokenizer> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dictionaries/ipadic");
    match lindera::dictionary::load_fs_dictionary(&dir) {
        Ok(dictionary) => Some(JapaneseTokenizer::new(dictionary)),
        Err(error) => {
            eprintln!("no Japanese dictionary in {} ({error}): run `cargoparts setup-dictionaries`", dir.display());
            None
        }
    }
}

fn count_tokens(analyzer: &mut TextAnalyzer, titles: &[String]) -> u64 {
    let mut count = 0;
    for title in titles {
        let mut stream = analyzer.token_stream(title);
        while stream.advance() {
            count += 1;
        }
    }
    count
}

fn analyzers(c: &mut Criterion) {
    let manager = TokenizerManager::new();
    register(&manager);
    let titles = titles();
    let bytes: u64 = titles.iter().map(|t| t.len() as u64).sum();

    let mut group = c.benchmark_group("analyzer_bytes");
    group.throughput(Throughput::Bytes(bytes));
    for name in [TEXT_ANALYZER, PART_NUMBER_ANALYZER] {
        let mut analyzer = manager.get(name).expect("registered");
        group.bench_function(name, |b| b.iter(|| count_tokens(&mut analyzer, black_box(&titles))));
    }
    group.finish();

    let mut group = c.benchmark_group("analyzer_tokens");
    for name in [TEXT_ANALYZER, PART_NUMBER_ANALYZER] {
        let mut analyzer = manager.get(name).expect("registered");
        group.throughput(Throughput::Elements(count_tokens(&mut analyzer, &titles)));
        group.bench_function(name, |b| b.iter(|| count_tokens(&mut analyzer, black_box(&titles))));
    }
    group.finish();

    // Japanese titles: what segmenting them costs next to the word tokenizer, per title.
    let japanese = japanese_titles();
    if let Some(tokenizer) = japanese_tokenizer() {
        register_japanese(&manager, Some(tokenizer));
        let mut group = c.benchmark_group("japanese_titles");
        group.throughput(Throughput::Elements(japanese.len() as u64));
        for name in [TEXT_ANALYZER, JAPANESE_ANALYZER] {
            let mut analyzer = manager.get(name).expect("registered");
            group.bench_function(name, |b| b.iter(|| count_tokens(&mut analyzer, black_box(&japanese))));
        }
        group.finish();
    }

    let mut group = c.benchmark_group("query_understanding");
    group.throughput(Throughput::Elements(titles.len() as u64));
    group.bench_function("analyze_query", |b| {
        b.iter(|| {
            for title in &titles {
                black_box(analyze_query(black_box(title)));
            }
        })
    });
    group.bench_function("analyze_query_japanese", |b| {
        b.iter(|| {
            for title in &japanese {
                black_box(analyze_query(black_box(title)));
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4)).sample_size(30);
    targets = analyzers
}
criterion_main!(benches);
