//! The bundling engine: compatible demand of several units, needed within one time window,
//! becomes one joint tender. Sort plus linear passes, so the cost grows as n log n.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::money::Chf;
use super::spec::{Category, PcSpec, PrinterSpec, Spec};

/// One submitted demand line, as the engine sees it. `unit` indexes the caller's unit table.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub id: Uuid,
    pub unit: u32,
    pub spec: Spec,
    pub quantity: i64,
    pub unit_price: Chf,
    pub needed_by: NaiveDate,
}

impl Line {
    pub fn value(&self) -> Chf {
        self.unit_price.times(self.quantity)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleParams {
    pub window_days: i64,
    pub min_units: usize,
}

/// Why a line was left out of every proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnbundledReason {
    /// No other unit has demand in this category.
    NoPartner,
    /// Other units buy this category, but nothing compatible with this spec.
    Incompatible,
    /// Compatible demand of other units exists, but not within the time window.
    OutsideWindow,
    /// The window has partners, but fewer units than `min_units`.
    TooFewUnits,
}

/// Lines that share a tender: indices into the input, by `needed_by`, unit, then id.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub category: Category,
    pub lines: Vec<usize>,
    /// Distinct units, ascending.
    pub units: Vec<u32>,
    /// Satisfies every line: the component-wise maximum.
    pub spec: Spec,
    pub total_quantity: i64,
    pub value: Chf,
    pub needed_by: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    pub bundles: Vec<Bundle>,
    /// Input index and reason, in the engine's order.
    pub unbundled: Vec<(usize, UnbundledReason)>,
}

/// Lines can share a tender only with the same key: category and the spec's classes.
pub fn compatibility_key(spec: &Spec) -> u64 {
    match spec {
        Spec::Vehicle(v) => {
            (v.class as u64) << 16 | (v.drive as u64) << 8 | u64::from(v.all_wheel_drive) << 7 | u64::from(v.seats)
        }
        Spec::Printer(p) => {
            1 << 60
                | (p.format as u64) << 8
                | u64::from(p.color) << 7
                | u64::from(p.multifunction) << 6
                | speed_class(p.pages_per_minute)
        }
        Spec::Pc(pc) => {
            2 << 60
                | (pc.form_factor as u64) << 16
                | (pc.os as u64) << 8
                | ram_class(pc.ram_gb) << 4
                | storage_class(pc.storage_gb)
        }
    }
}

fn speed_class(pages_per_minute: u16) -> u64 {
    match pages_per_minute {
        0..=25 => 0,
        26..=45 => 1,
        _ => 2,
    }
}

fn ram_class(ram_gb: u16) -> u64 {
    match ram_gb {
        0..=8 => 0,
        9..=16 => 1,
        17..=32 => 2,
        33..=64 => 3,
        _ => 4,
    }
}

fn storage_class(storage_gb: u32) -> u64 {
    match storage_gb {
        0..=256 => 0,
        257..=512 => 1,
        513..=1024 => 2,
        _ => 3,
    }
}

fn category_of_key(key: u64) -> u64 {
    key >> 60
}

/// The spec every line of a group is satisfied by (lines share a key, so one category).
fn harmonise<'a>(mut specs: impl Iterator<Item = &'a Spec>) -> Spec {
    let first = specs.next().cloned().expect("a bundle has lines");
    specs.fold(first, |acc, spec| match (acc, spec) {
        (Spec::Printer(a), Spec::Printer(b)) => {
            Spec::Printer(PrinterSpec { pages_per_minute: a.pages_per_minute.max(b.pages_per_minute), ..a })
        }
        (Spec::Pc(a), Spec::Pc(b)) => Spec::Pc(PcSpec {
            ram_gb: a.ram_gb.max(b.ram_gb),
            storage_gb: a.storage_gb.max(b.storage_gb),
            screen_inches: match (a.screen_inches, b.screen_inches) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            },
            ..a
        }),
        // Vehicles of one key are identical in every field.
        (acc, _) => acc,
    })
}

/// Counts distinct units per group in O(1) a line: a unit counts when its stamp is stale.
struct DistinctUnits {
    stamps: Vec<u32>,
    stamp: u32,
    count: usize,
}

impl DistinctUnits {
    fn new(units: usize) -> Self {
        DistinctUnits { stamps: vec![0; units], stamp: 0, count: 0 }
    }

    fn start_group(&mut self) {
        self.stamp += 1;
        self.count = 0;
    }

    /// The number of distinct units among `entries`.
    fn count_in(&mut self, entries: &[Entry]) -> usize {
        self.start_group();
        for entry in entries {
            self.add(entry.unit);
        }
        self.count
    }

    fn add(&mut self, unit: u32) -> bool {
        let slot = &mut self.stamps[unit as usize];
        if *slot == self.stamp {
            return false;
        }
        *slot = self.stamp;
        self.count += 1;
        true
    }
}

/// Half-open index ranges of `sorted` where `same` holds between neighbours.
fn runs<T>(sorted: &[T], same: impl Fn(&T, &T) -> bool) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut start = 0;
    for end in 1..=sorted.len() {
        if end == sorted.len() || !same(&sorted[end - 1], &sorted[end]) {
            ranges.push((start, end));
            start = end;
        }
    }
    ranges
}

/// One line in sort order, with everything the sweep reads, so that the passes after the sort
/// run through memory in order instead of jumping back into `lines`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    key: u64,
    day: i32,
    unit: u32,
    /// The demand id breaks the remaining ties, so the order never depends on the input's.
    id: (u64, u64),
    index: u32,
}

/// Bundles `lines`. The same lines give the same result in any input order.
pub fn bundle(lines: &[Line], params: BundleParams) -> Outcome {
    let unit_count = lines.iter().map(|line| line.unit as usize + 1).max().unwrap_or(0);
    let mut order: Vec<Entry> = lines
        .iter()
        .enumerate()
        .map(|(index, line)| Entry {
            key: compatibility_key(&line.spec),
            day: chrono::Datelike::num_days_from_ce(&line.needed_by),
            unit: line.unit,
            id: line.id.as_u64_pair(),
            index: u32::try_from(index).expect("fewer than 2^32 lines"),
        })
        .collect();
    order.sort_unstable();

    let mut distinct = DistinctUnits::new(unit_count);
    let mut category_units = [0usize; 4];
    for (start, end) in runs(&order, |a, b| category_of_key(a.key) == category_of_key(b.key)) {
        let category = usize::try_from(category_of_key(order[start].key)).unwrap_or(3).min(3);
        category_units[category] = distinct.count_in(&order[start..end]);
    }

    let mut outcome = Outcome::default();
    for (key_start, key_end) in runs(&order, |a, b| a.key == b.key) {
        let group = &order[key_start..key_end];
        let category = usize::try_from(category_of_key(group[0].key)).unwrap_or(3).min(3);
        let category_partners = category_units[category] > 1;
        let key_partners = distinct.count_in(group) > 1;
        let mut window_start = 0;
        while window_start < group.len() {
            // Greedy sweep: the window opens at its earliest line and takes all within reach.
            let first_day = group[window_start].day;
            let mut window_end = window_start;
            distinct.start_group();
            while window_end < group.len() && i64::from(group[window_end].day - first_day) <= params.window_days {
                distinct.add(group[window_end].unit);
                window_end += 1;
            }
            let window = &group[window_start..window_end];
            if distinct.count >= params.min_units {
                outcome.bundles.push(make_bundle(lines, window));
            } else {
                let reason = if !category_partners {
                    UnbundledReason::NoPartner
                } else if !key_partners {
                    UnbundledReason::Incompatible
                } else if distinct.count > 1 {
                    UnbundledReason::TooFewUnits
                } else {
                    UnbundledReason::OutsideWindow
                };
                outcome.unbundled.extend(window.iter().map(|entry| (entry.index as usize, reason)));
            }
            window_start = window_end;
        }
    }
    outcome
}

fn make_bundle(lines: &[Line], window: &[Entry]) -> Bundle {
    let indices: Vec<usize> = window.iter().map(|entry| entry.index as usize).collect();
    let mut units: Vec<u32> = window.iter().map(|entry| entry.unit).collect();
    units.sort_unstable();
    units.dedup();
    let spec = harmonise(indices.iter().map(|&index| &lines[index].spec));
    let (total_quantity, value) = indices.iter().fold((0, Chf(0)), |(quantity, value), &index| {
        (quantity + lines[index].quantity, value + lines[index].value())
    });
    Bundle {
        category: spec.category(),
        total_quantity,
        value,
        needed_by: lines[indices[0]].needed_by,
        lines: indices,
        units,
        spec,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::spec::{Drive, FormFactor, OperatingSystem, PaperFormat, VehicleClass, VehicleSpec};
    use proptest::prelude::*;
    use std::collections::{BTreeSet, HashMap};

    fn pc(ram_gb: u16, storage_gb: u32) -> Spec {
        Spec::Pc(PcSpec {
            form_factor: FormFactor::Laptop,
            os: OperatingSystem::Windows,
            ram_gb,
            storage_gb,
            screen_inches: None,
        })
    }

    fn line(n: u128, unit: u32, spec: Spec, day: &str) -> Line {
        Line {
            id: Uuid::from_u128(n),
            unit,
            spec,
            quantity: 10,
            unit_price: Chf(1_000),
            needed_by: day.parse().unwrap(),
        }
    }

    const PARAMS: BundleParams = BundleParams { window_days: 180, min_units: 2 };

    #[test]
    fn compatible_lines_of_two_units_are_bundled_with_the_larger_spec() {
        let lines = [line(1, 0, pc(12, 300), "2027-03-01"), line(2, 1, pc(16, 512), "2027-04-01")];
        let outcome = bundle(&lines, PARAMS);
        assert_eq!(outcome.unbundled, []);
        let only = &outcome.bundles[0];
        assert_eq!((only.units.clone(), only.total_quantity, only.value), (vec![0, 1], 20, Chf(20_000)));
        assert_eq!(only.spec, pc(16, 512));
        assert_eq!(only.needed_by, "2027-03-01".parse::<NaiveDate>().unwrap());
    }

    #[test]
    fn every_leftover_line_has_a_reason() {
        let printer = Spec::Printer(PrinterSpec {
            format: PaperFormat::A4,
            color: true,
            multifunction: true,
            pages_per_minute: 30,
        });
        let lines = [
            line(1, 0, printer, "2027-01-01"),    // no other unit buys printers
            line(2, 0, pc(8, 256), "2027-01-01"), // others buy PCs, not this class
            line(3, 1, pc(32, 1024), "2027-01-01"),
            line(4, 2, pc(32, 1024), "2027-12-31"), // compatible, but a year later
        ];
        let outcome = bundle(&lines, PARAMS);
        assert!(outcome.bundles.is_empty());
        let reasons: HashMap<usize, UnbundledReason> = outcome.unbundled.into_iter().collect();
        assert_eq!(reasons[&0], UnbundledReason::NoPartner);
        assert_eq!(reasons[&1], UnbundledReason::Incompatible);
        assert_eq!(reasons[&2], UnbundledReason::OutsideWindow);
        assert_eq!(reasons[&3], UnbundledReason::OutsideWindow);
        let three = bundle(&lines[1..], BundleParams { window_days: 400, min_units: 3 });
        assert!(three.unbundled.iter().any(|(_, reason)| *reason == UnbundledReason::TooFewUnits));
    }

    #[test]
    fn the_sweep_cuts_the_fewest_windows() {
        let days = ["2027-01-01", "2027-06-30", "2027-07-01", "2027-12-27"];
        let lines: Vec<Line> =
            days.iter().enumerate().map(|(i, day)| line(i as u128, u32::from(i % 2 == 1), pc(16, 512), day)).collect();
        let outcome = bundle(&lines, PARAMS);
        let windows: Vec<Vec<usize>> = outcome.bundles.iter().map(|b| b.lines.clone()).collect();
        assert_eq!(windows, [vec![0, 1], vec![2, 3]], "180 days from 1 January reach 30 June");
    }

    fn arbitrary_spec() -> impl Strategy<Value = Spec> {
        prop_oneof![
            (0..2usize, 0..2usize, 1u8..8, any::<bool>()).prop_map(|(class, drive, seats, awd)| {
                Spec::Vehicle(VehicleSpec {
                    class: VehicleClass::ALL[class],
                    drive: Drive::ALL[drive],
                    seats,
                    all_wheel_drive: awd,
                })
            }),
            (any::<bool>(), 1u16..80).prop_map(|(color, ppm)| Spec::Printer(PrinterSpec {
                format: PaperFormat::A4,
                color,
                multifunction: true,
                pages_per_minute: ppm,
            })),
            (0..2usize, 1u16..40, 100u32..1200).prop_map(|(form, ram, storage)| Spec::Pc(PcSpec {
                form_factor: FormFactor::ALL[form],
                os: OperatingSystem::Windows,
                ram_gb: ram,
                storage_gb: storage,
                screen_inches: None,
            })),
        ]
    }

    fn arbitrary_lines() -> impl Strategy<Value = Vec<Line>> {
        prop::collection::vec((0u32..6, arbitrary_spec(), 1i64..50, 1i64..5000, 0u64..730), 0..120).prop_map(|rows| {
            let start: NaiveDate = "2027-01-01".parse().unwrap();
            rows.into_iter()
                .enumerate()
                .map(|(i, (unit, spec, quantity, price, day))| Line {
                    id: Uuid::from_u128(i as u128 * 7919 + 13),
                    unit,
                    spec,
                    quantity,
                    unit_price: Chf(price),
                    needed_by: start + chrono::Days::new(day),
                })
                .collect()
        })
    }

    fn satisfies(harmonised: &Spec, asked: &Spec) -> bool {
        match (harmonised, asked) {
            (Spec::Vehicle(h), Spec::Vehicle(a)) => h == a,
            (Spec::Printer(h), Spec::Printer(a)) => {
                h.format == a.format
                    && h.color == a.color
                    && h.multifunction == a.multifunction
                    && h.pages_per_minute >= a.pages_per_minute
            }
            (Spec::Pc(h), Spec::Pc(a)) => {
                h.form_factor == a.form_factor && h.os == a.os && h.ram_gb >= a.ram_gb && h.storage_gb >= a.storage_gb
            }
            _ => false,
        }
    }

    fn bundles_as_id_sets(lines: &[Line], outcome: &Outcome) -> BTreeSet<BTreeSet<u128>> {
        outcome.bundles.iter().map(|b| b.lines.iter().map(|&i| lines[i].id.as_u128()).collect()).collect()
    }

    proptest! {
        #[test]
        fn bundles_obey_every_rule(lines in arbitrary_lines(), window_days in 1i64..400, min_units in 1usize..4) {
            let params = BundleParams { window_days, min_units };
            let outcome = bundle(&lines, params);
            let mut seen = vec![0; lines.len()];
            for b in &outcome.bundles {
                let key = compatibility_key(&lines[b.lines[0]].spec);
                let days: Vec<NaiveDate> = b.lines.iter().map(|&i| lines[i].needed_by).collect();
                prop_assert!(b.lines.iter().all(|&i| compatibility_key(&lines[i].spec) == key));
                prop_assert!((*days.iter().max().unwrap() - *days.iter().min().unwrap()).num_days() <= window_days);
                prop_assert!(b.units.len() >= min_units);
                prop_assert_eq!(compatibility_key(&b.spec), key, "the harmonised spec stays in its class");
                prop_assert!(b.lines.iter().all(|&i| satisfies(&b.spec, &lines[i].spec)));
                prop_assert_eq!(b.total_quantity, b.lines.iter().map(|&i| lines[i].quantity).sum::<i64>());
                prop_assert_eq!(b.value, b.lines.iter().map(|&i| lines[i].value()).sum::<Chf>());
                prop_assert_eq!(b.needed_by, *days.iter().min().unwrap());
                for &i in &b.lines { seen[i] += 1; }
            }
            for (i, _) in &outcome.unbundled { seen[*i] += 1; }
            prop_assert!(seen.iter().all(|&count| count == 1), "every line is bundled or left out, once");
        }

        #[test]
        fn input_order_does_not_matter(lines in arbitrary_lines(), seed in any::<u64>()) {
            let mut shuffled = lines.clone();
            // A deterministic shuffle driven by the seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                shuffled.swap(i, usize::try_from(state % (i as u64 + 1)).unwrap());
            }
            let first = bundle(&lines, PARAMS);
            let second = bundle(&shuffled, PARAMS);
            prop_assert_eq!(bundles_as_id_sets(&lines, &first), bundles_as_id_sets(&shuffled, &second));
            let specs = |outcome: &Outcome| outcome.bundles.iter().map(|b| b.spec.clone()).collect::<Vec<_>>();
            prop_assert_eq!(specs(&first), specs(&second), "same proposals in the same order");
        }
    }
}
