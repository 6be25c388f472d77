//! Throughput of the CPU side of an import: parsing, validating and sanitizing feed
//! lines. PostgreSQL's side is measured end to end (see BENCHMARKS.md).

use cargoparts::catalog::feed::parse_line;
use cargoparts::cli::demo_catalog::DemoCatalog;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn feed_parsing(c: &mut Criterion) {
    let lines: Vec<Vec<u8>> = DemoCatalog::new(2_000, 50, 7).map(|r| r.to_string().into_bytes()).collect();
    let bytes: usize = lines.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("feed");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("parse_and_validate_2000_lines", |b| {
        b.iter(|| lines.iter().filter(|line| parse_line(line).is_ok()).count())
    });
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("parse_and_validate_bytes", |b| {
        b.iter(|| lines.iter().filter(|line| parse_line(line).is_ok()).count())
    });
    group.finish();
}

criterion_group!(benches, feed_parsing);
criterion_main!(benches);
