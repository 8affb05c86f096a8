//! The bundling engine on 10 000, 100 000 and 1 000 000 synthetic lines, beside a baseline
//! that only sorts the same lines by (key, needed_by). Run: `cargo bench --bench bundling`.

use std::hint::black_box;

use chrono::{Days, NaiveDate};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tenderpool::domain::bundling::{bundle, compatibility_key, BundleParams, Line};
use tenderpool::seed_demand::{demo_demand, Random};
use uuid::Uuid;

/// Lines of the demo catalogue spread over 400 units and two years.
fn synthetic_lines(count: usize) -> Vec<Line> {
    let units: Vec<String> = (0..400).map(|unit| format!("unit-{unit}")).collect();
    let names: Vec<&str> = units.iter().map(String::as_str).collect();
    let start = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    let mut random = Random::new(42);
    demo_demand(&names, 2027, count)
        .into_iter()
        .enumerate()
        .map(|(index, (unit, _, content))| Line {
            id: Uuid::from_u64_pair(random.next_u64(), index as u64),
            unit: unit.trim_start_matches("unit-").parse().unwrap(),
            spec: content.spec,
            quantity: content.quantity,
            unit_price: content.unit_price,
            needed_by: start + Days::new(random.next_u64() % 730),
        })
        .collect()
}

fn sort_baseline(lines: &[Line]) -> Vec<(u64, NaiveDate, usize)> {
    let mut order: Vec<(u64, NaiveDate, usize)> =
        lines.iter().enumerate().map(|(index, line)| (compatibility_key(&line.spec), line.needed_by, index)).collect();
    order.sort_unstable();
    order
}

fn engine(c: &mut Criterion) {
    let params = BundleParams { window_days: 180, min_units: 2 };
    let mut group = c.benchmark_group("bundling");
    group.sample_size(10);
    for count in [10_000, 100_000, 1_000_000] {
        let lines = synthetic_lines(count);
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("engine", count), &lines, |b, lines| {
            b.iter(|| bundle(black_box(lines), params));
        });
        group.bench_with_input(BenchmarkId::new("sort_baseline", count), &lines, |b, lines| {
            b.iter(|| sort_baseline(black_box(lines)));
        });
    }
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
