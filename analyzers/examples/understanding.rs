//! Accuracy and speed of query understanding over labelled sets.
//!
//! ```text
//! cargo run --release -p cargoparts-analyzers --example understanding -- [--misses|--show] SET.tsv...
//! ```
//!
//! Each line of a set is `text<TAB>category<TAB>make<TAB>model<TAB>kind`, as
//! written by `understanding_sets.py` next to this file from the shared data
//! generators; an empty field was not asked for. A category counts as
//! understood when it is the only one found, a make or model when it is the
//! one named. Per set (and per `kind`), the example prints the share of each
//! field understood and of lines understood whole; with `--misses`, every line
//! not understood whole with what was read instead, with `--show` every line.
//! Last comes the throughput of `analyze_query` over all lines.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use cargoparts_analyzers::{QueryAnalysis, analyze_query};

struct Labelled {
    text: String,
    category: Option<String>,
    make: Option<String>,
    model: Option<String>,
    kind: String,
}

#[derive(Default)]
struct Tally {
    lines: usize,
    asked: [usize; 3],
    right: [usize; 3],
    whole: usize,
}

impl Tally {
    fn add(&mut self, fields: [Option<bool>; 3]) {
        self.lines += 1;
        for (i, field) in fields.iter().enumerate() {
            if let Some(right) = field {
                self.asked[i] += 1;
                self.right[i] += usize::from(*right);
            }
        }
        self.whole += usize::from(fields.iter().all(|f| f.unwrap_or(true)));
    }

    fn line(&self, name: &str) -> String {
        let share = |right: usize, asked: usize| {
            if asked == 0 { "     -".to_owned() } else { format!("{:6.2}", 100.0 * right as f64 / asked as f64) }
        };
        format!(
            "{name:<34} n={:<6} category {} make {} model {} whole {}",
            self.lines,
            share(self.right[0], self.asked[0]),
            share(self.right[1], self.asked[1]),
            share(self.right[2], self.asked[2]),
            share(self.whole, self.lines),
        )
    }
}

fn read_set(path: &str) -> Vec<Labelled> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let field = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 5, "five tab-separated fields in {path}: {line}");
            Labelled {
                text: f[0].to_owned(),
                category: field(f[1]),
                make: field(f[2]),
                model: field(f[3]),
                kind: f[4].to_owned(),
            }
        })
        .collect()
}

fn judge(item: &Labelled, analysis: &QueryAnalysis) -> [Option<bool>; 3] {
    [
        item.category.as_ref().map(|c| analysis.categories.len() == 1 && &analysis.categories[0] == c),
        item.make.as_ref().map(|m| analysis.make.as_ref() == Some(m)),
        item.model.as_ref().map(|m| analysis.model.as_ref() == Some(m)),
    ]
}

fn main() {
    let (mut misses, mut show) = (false, false);
    let mut paths = Vec::new();
    for arg in std::env::args().skip(1) {
        if arg == "--misses" {
            misses = true;
        } else if arg == "--show" {
            show = true;
        } else {
            paths.push(arg);
        }
    }
    let mut all_texts = Vec::new();
    for path in &paths {
        let set = read_set(path);
        let mut total = Tally::default();
        let mut by_kind: BTreeMap<&str, Tally> = BTreeMap::new();
        for item in &set {
            let analysis = analyze_query(&item.text);
            let fields = judge(item, &analysis);
            total.add(fields);
            by_kind.entry(&item.kind).or_default().add(fields);
            let missed = !fields.iter().all(|f| f.unwrap_or(true));
            if show || (misses && missed) {
                println!(
                    "{} {:<40} want {:?}/{:?}/{:?} got {:?}/{:?}/{:?} words {:?}",
                    if missed { "MISS" } else { "OK  " },
                    item.text,
                    item.category,
                    item.make,
                    item.model,
                    analysis.categories,
                    analysis.make,
                    analysis.model,
                    analysis.words
                );
            }
        }
        println!("{}", total.line(path));
        for (kind, tally) in &by_kind {
            println!("{}", tally.line(&format!("  {kind}")));
        }
        all_texts.extend(set.into_iter().map(|item| item.text));
    }
    if all_texts.is_empty() {
        return;
    }
    // Warm the vocabulary up, then time whole passes for at least a second.
    black_box(analyze_query(&all_texts[0]));
    let started = Instant::now();
    let mut done = 0usize;
    while started.elapsed().as_secs_f64() < 1.0 {
        for text in &all_texts {
            black_box(analyze_query(black_box(text)));
        }
        done += all_texts.len();
    }
    println!("throughput {:.0} queries/s", done as f64 / started.elapsed().as_secs_f64());
}
