//! A realistic, deterministic year of demand for the demo units: common configurations at the
//! prices Swiss administrations pay, so that bundling finds real partners.

use chrono::{Days, NaiveDate};

use crate::domain::demand::{DemandContent, DemandStatus};
use crate::domain::money::Chf;
use crate::domain::spec::{
    Drive, FormFactor, OperatingSystem, PaperFormat, PcSpec, PrinterSpec, Spec, VehicleClass, VehicleSpec,
};

/// splitmix64: small, fast, and the same sequence on every machine and Rust version.
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Self {
        Random(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high - low + 1).unwrap_or(1);
        low + i64::try_from(self.next_u64() % span).unwrap_or(0)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let index = usize::try_from(self.next_u64() % items.len() as u64).unwrap_or(0);
        &items[index]
    }
}

/// (weight, spec, price range in CHF, quantity range)
type Offer = (u32, Spec, (i64, i64), (i64, i64));

fn pc(form_factor: FormFactor, os: OperatingSystem, ram_gb: u16, storage_gb: u32, screen: Option<f64>) -> Spec {
    Spec::Pc(PcSpec { form_factor, os, ram_gb, storage_gb, screen_inches: screen })
}

fn printer(format: PaperFormat, color: bool, multifunction: bool, pages_per_minute: u16) -> Spec {
    Spec::Printer(PrinterSpec { format, color, multifunction, pages_per_minute })
}

fn vehicle(class: VehicleClass, drive: Drive, seats: u8, all_wheel_drive: bool) -> Spec {
    Spec::Vehicle(VehicleSpec { class, drive, seats, all_wheel_drive })
}

fn catalogue() -> Vec<Offer> {
    use Drive::{Diesel, Electric, Hybrid};
    use FormFactor::{AllInOne, Desktop, Laptop, ThinClient, Workstation};
    use OperatingSystem::{Linux, Macos, Windows};
    use PaperFormat::{A3, A4};
    use VehicleClass::{Minibus, PassengerCar, Pickup, Truck, Van};
    vec![
        (30, pc(Laptop, Windows, 16, 512, Some(14.0)), (1_250, 1_750), (5, 60)),
        (8, pc(Laptop, Windows, 32, 1024, Some(15.6)), (1_800, 2_500), (2, 20)),
        (14, pc(Desktop, Windows, 16, 512, None), (850, 1_300), (5, 80)),
        (5, pc(AllInOne, Windows, 16, 512, Some(24.0)), (1_200, 1_700), (2, 25)),
        (3, pc(Workstation, Windows, 64, 2048, None), (3_500, 5_500), (1, 8)),
        (4, pc(ThinClient, Linux, 8, 64, None), (450, 700), (10, 120)),
        (2, pc(Laptop, Macos, 16, 512, Some(14.2)), (1_900, 2_400), (1, 10)),
        (10, printer(A4, false, false, 30), (350, 700), (1, 10)),
        (12, printer(A4, true, true, 35), (1_800, 3_500), (1, 8)),
        (4, printer(A3, true, true, 50), (6_000, 12_000), (1, 3)),
        (3, printer(A4, true, false, 20), (400, 900), (1, 6)),
        (4, vehicle(PassengerCar, Electric, 5, false), (38_000, 55_000), (1, 4)),
        (2, vehicle(PassengerCar, Hybrid, 5, true), (36_000, 48_000), (1, 3)),
        (2, vehicle(Van, Electric, 3, false), (45_000, 65_000), (1, 3)),
        (1, vehicle(Van, Diesel, 3, false), (40_000, 55_000), (1, 2)),
        (1, vehicle(Pickup, Diesel, 5, true), (50_000, 65_000), (1, 2)),
        (1, vehicle(Minibus, Diesel, 9, false), (70_000, 95_000), (1, 2)),
        (1, vehicle(Truck, Diesel, 3, true), (120_000, 220_000), (1, 1)),
    ]
}

/// `count` lines for `units`, needed during `year`; about one in twenty is still a draft.
pub fn demo_demand(units: &[&str], year: i32, count: usize) -> Vec<(String, DemandStatus, DemandContent)> {
    let offers = catalogue();
    let total_weight: u32 = offers.iter().map(|offer| offer.0).sum();
    let first_day = NaiveDate::from_ymd_opt(year, 1, 15).expect("a valid year");
    let mut random = Random::new(0x7465_6e64_6572_706f + u64::try_from(year).unwrap_or(0));
    (0..count)
        .map(|_| {
            let unit = (*random.pick(units)).to_owned();
            let mut roll = u32::try_from(random.next_u64() % u64::from(total_weight)).unwrap_or(0);
            let (_, spec, prices, quantities) = offers
                .iter()
                .find(|offer| {
                    if roll < offer.0 {
                        return true;
                    }
                    roll -= offer.0;
                    false
                })
                .unwrap_or(&offers[0]);
            let needed_by = first_day + Days::new(u64::try_from(random.between(0, 320)).unwrap_or(0));
            let status = if random.between(1, 20) == 1 { DemandStatus::Draft } else { DemandStatus::Submitted };
            let content = DemandContent {
                spec: spec.clone(),
                quantity: random.between(quantities.0, quantities.1),
                unit_price: Chf(random.between(prices.0, prices.1) / 10 * 10),
                needed_by,
                budget_year: year,
                delivery_site: None,
                justification: Some("Demo data: replacement cycle".to_owned()),
            };
            (unit, status, content)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_demand_is_deterministic_and_valid() {
        let first = demo_demand(&["a", "b"], 2027, 200);
        assert_eq!(first, demo_demand(&["a", "b"], 2027, 200));
        for (_, _, content) in &first {
            assert!((1..=100_000).contains(&content.quantity));
            assert!((1..=10_000_000).contains(&content.unit_price.0));
            assert_eq!(chrono::Datelike::year(&content.needed_by), 2027);
        }
        assert!(first.iter().any(|(_, status, _)| *status == DemandStatus::Draft));
        assert!(first.iter().any(|(unit, _, _)| unit == "b"));
    }
}
