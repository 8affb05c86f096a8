//! Every legal and economic figure the rules use, with the documented defaults: IVöB 2019 for
//! supplies. Another canton, a sector authority or the federal level is a configuration change.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::spec::Category;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ProcurementSettings {
    pub thresholds: Thresholds,
    pub lead_times: LeadTimes,
    pub savings: SavingsAssumptions,
    pub bundling: BundlingDefaults,
    pub ocds: OcdsSettings,
}

/// Procedure thresholds for supplies in CHF excluding VAT (IVöB 2019 annexes 1 and 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// From this value on: invitation procedure (Einladungsverfahren).
    pub invitation_chf: i64,
    /// From this value on: open or selective procedure.
    pub open_chf: i64,
    /// From this value on: international treaty area (WTO GPA).
    pub treaty_chf: i64,
    pub source: String,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            invitation_chf: 150_000,
            open_chf: 250_000,
            treaty_chf: 350_000,
            source: "IVöB 2019, annex 1 (treaty area, supplies: CHF 350 000) and annex 2 \
                     (non-treaty, supplies: invitation CHF 150 000, open CHF 250 000)"
                .to_owned(),
        }
    }
}

/// Days each step of a procedure takes, used to find the latest publication date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LeadTimes {
    pub offer_days_open_treaty: i64,
    pub offer_days_open: i64,
    pub offer_days_invitation: i64,
    pub offer_days_direct: i64,
    pub award_days: i64,
    pub award_days_direct: i64,
    /// Appeal period after the award; a direct award has none.
    pub appeal_days: i64,
    pub delivery_days_vehicle: i64,
    pub delivery_days_pc: i64,
    pub delivery_days_printer: i64,
}

impl Default for LeadTimes {
    fn default() -> Self {
        LeadTimes {
            offer_days_open_treaty: 40,
            offer_days_open: 20,
            offer_days_invitation: 20,
            offer_days_direct: 0,
            award_days: 30,
            award_days_direct: 10,
            appeal_days: 20,
            delivery_days_vehicle: 120,
            delivery_days_pc: 30,
            delivery_days_printer: 30,
        }
    }
}

impl LeadTimes {
    pub fn delivery_days(&self, category: Category) -> i64 {
        match category {
            Category::Vehicle => self.delivery_days_vehicle,
            Category::Pc => self.delivery_days_pc,
            Category::Printer => self.delivery_days_printer,
        }
    }
}

/// One point of a volume-discount curve: from `quantity` pieces on, `discount_bp` basis
/// points (1/100 %) off; linear between points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CurvePoint {
    pub quantity: i64,
    pub discount_bp: i64,
}

/// Assumptions of the savings estimate; an estimate, never a fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SavingsAssumptions {
    /// The most any volume earns, in basis points (1000 = 10 %; studies report 2–11 %).
    pub volume_discount_cap_bp: i64,
    pub volume_curve_vehicle: Vec<CurvePoint>,
    pub volume_curve_printer: Vec<CurvePoint>,
    pub volume_curve_pc: Vec<CurvePoint>,
    /// Buyer's cost of running one procedure (a Swiss IT tender takes about 21 person-days).
    pub process_cost_direct_chf: i64,
    pub process_cost_invitation_chf: i64,
    pub process_cost_open_chf: i64,
}

fn curve(points: &[(i64, i64)]) -> Vec<CurvePoint> {
    points.iter().map(|&(quantity, discount_bp)| CurvePoint { quantity, discount_bp }).collect()
}

impl Default for SavingsAssumptions {
    fn default() -> Self {
        SavingsAssumptions {
            volume_discount_cap_bp: 1000,
            volume_curve_vehicle: curve(&[(1, 0), (3, 200), (10, 500), (30, 800), (100, 1000)]),
            volume_curve_printer: curve(&[(1, 0), (5, 150), (20, 400), (100, 700), (500, 1000)]),
            volume_curve_pc: curve(&[(1, 0), (10, 150), (50, 400), (200, 700), (1000, 1000)]),
            process_cost_direct_chf: 1_500,
            process_cost_invitation_chf: 6_000,
            process_cost_open_chf: 15_000,
        }
    }
}

impl SavingsAssumptions {
    pub fn curve(&self, category: Category) -> &[CurvePoint] {
        match category {
            Category::Vehicle => &self.volume_curve_vehicle,
            Category::Printer => &self.volume_curve_printer,
            Category::Pc => &self.volume_curve_pc,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BundlingDefaults {
    /// Longest span, in days, between the first and last `needed_by` of one proposal.
    pub window_days: i64,
    /// Fewest distinct units a proposal must join.
    pub min_units: i64,
}

impl Default for BundlingDefaults {
    fn default() -> Self {
        BundlingDefaults { window_days: 180, min_units: 2 }
    }
}

/// How proposals are published as Open Contracting Data Standard releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OcdsSettings {
    /// The publisher's ocid prefix, registered with the Open Contracting Partnership.
    pub ocid_prefix: String,
    /// The coordinating body, shown as `procuringEntity`.
    pub coordinator_id: String,
    pub coordinator_name: String,
}

impl Default for OcdsSettings {
    fn default() -> Self {
        OcdsSettings {
            ocid_prefix: "ocds-tenderpool".to_owned(),
            coordinator_id: "coordination-office".to_owned(),
            coordinator_name: "Koordinationsstelle Beschaffung".to_owned(),
        }
    }
}

impl ProcurementSettings {
    /// Reads a TOML file's text; missing sections and fields keep their defaults.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let settings: ProcurementSettings = toml::from_str(text).map_err(|error| error.to_string())?;
        settings.check()?;
        Ok(settings)
    }

    /// Refuses settings that would make the rules meaningless.
    pub fn check(&self) -> Result<(), String> {
        let t = &self.thresholds;
        if !(0 < t.invitation_chf && t.invitation_chf <= t.open_chf && t.open_chf <= t.treaty_chf) {
            return Err("thresholds must satisfy 0 < invitation_chf <= open_chf <= treaty_chf".to_owned());
        }
        let l = &self.lead_times;
        let days = [
            l.offer_days_open_treaty,
            l.offer_days_open,
            l.offer_days_invitation,
            l.offer_days_direct,
            l.award_days,
            l.award_days_direct,
            l.appeal_days,
            l.delivery_days_vehicle,
            l.delivery_days_pc,
            l.delivery_days_printer,
        ];
        if days.iter().any(|days| !(0..=3650).contains(days)) {
            return Err("lead times must be between 0 and 3650 days".to_owned());
        }
        let s = &self.savings;
        if !(0..=5000).contains(&s.volume_discount_cap_bp) {
            return Err("volume_discount_cap_bp must be between 0 and 5000".to_owned());
        }
        for category in Category::ALL {
            let points = s.curve(*category);
            let increasing = points.windows(2).all(|pair| pair[0].quantity < pair[1].quantity);
            let valid =
                points.iter().all(|p| p.quantity >= 1 && (0..=s.volume_discount_cap_bp).contains(&p.discount_bp));
            if points.is_empty() || !increasing || !valid {
                return Err(format!(
                    "volume_curve_{category} needs points with rising quantities >= 1 and discounts within the cap"
                ));
            }
        }
        if [s.process_cost_direct_chf, s.process_cost_invitation_chf, s.process_cost_open_chf].iter().any(|c| *c < 0) {
            return Err("process costs must not be negative".to_owned());
        }
        let b = &self.bundling;
        if !(1..=3650).contains(&b.window_days) || !(1..=1000).contains(&b.min_units) {
            return Err("bundling needs window_days in 1..=3650 and min_units in 1..=1000".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_ivoeb_figures_and_valid() {
        let settings = ProcurementSettings::default();
        assert_eq!(
            (settings.thresholds.invitation_chf, settings.thresholds.open_chf, settings.thresholds.treaty_chf),
            (150_000, 250_000, 350_000)
        );
        assert_eq!(settings.check(), Ok(()));
    }

    #[test]
    fn a_toml_file_overrides_only_what_it_names() {
        let federal = ProcurementSettings::from_toml(
            "[thresholds]\ninvitation_chf = 150000\nopen_chf = 230000\ntreaty_chf = 230000\nsource = \"BöB\"\n",
        )
        .unwrap();
        assert_eq!(federal.thresholds.open_chf, 230_000);
        assert_eq!(federal.lead_times, LeadTimes::default());
        assert!(ProcurementSettings::from_toml("[thresholds]\nopen_chf = 100000\n").is_err());
        assert!(ProcurementSettings::from_toml("[thresholds]\nopen = 1\n").is_err(), "typos are refused");
    }
}
