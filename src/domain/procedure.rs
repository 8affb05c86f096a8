//! Procurement law: which procedure a value needs, and by when a tender must be published.

use chrono::{Days, NaiveDate};

use super::closed_enum;
use super::money::Chf;
use super::settings::{LeadTimes, Thresholds};
use super::spec::Category;

closed_enum! {
    /// `direct` (freihändig), `invitation` (Einladungsverfahren), `open` (offen/selektiv).
    pub enum Procedure { Direct => "direct", Invitation => "invitation", Open => "open" }
}

impl Procedure {
    /// The procedure the whole value needs; values are compared excluding VAT (BöB Art. 15).
    pub fn for_value(value: Chf, thresholds: &Thresholds) -> Procedure {
        if value.0 >= thresholds.open_chf {
            Procedure::Open
        } else if value.0 >= thresholds.invitation_chf {
            Procedure::Invitation
        } else {
            Procedure::Direct
        }
    }

    /// The threshold that put a value into this procedure (`None` for direct award).
    pub fn threshold(self, thresholds: &Thresholds) -> Option<i64> {
        match self {
            Procedure::Direct => None,
            Procedure::Invitation => Some(thresholds.invitation_chf),
            Procedure::Open => Some(thresholds.open_chf),
        }
    }
}

pub fn in_treaty_area(value: Chf, thresholds: &Thresholds) -> bool {
    value.0 >= thresholds.treaty_chf
}

/// Days from publication until the goods arrive, part by part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeadTime {
    pub offer_days: i64,
    pub award_days: i64,
    pub appeal_days: i64,
    pub delivery_days: i64,
}

impl LeadTime {
    pub fn of(procedure: Procedure, treaty_area: bool, category: Category, settings: &LeadTimes) -> LeadTime {
        let offer_days = match (procedure, treaty_area) {
            (Procedure::Open, true) => settings.offer_days_open_treaty,
            (Procedure::Open, false) => settings.offer_days_open,
            (Procedure::Invitation, _) => settings.offer_days_invitation,
            (Procedure::Direct, _) => settings.offer_days_direct,
        };
        let direct = procedure == Procedure::Direct;
        LeadTime {
            offer_days,
            award_days: if direct { settings.award_days_direct } else { settings.award_days },
            appeal_days: if direct { 0 } else { settings.appeal_days },
            delivery_days: settings.delivery_days(category),
        }
    }

    pub fn total_days(self) -> i64 {
        self.offer_days + self.award_days + self.appeal_days + self.delivery_days
    }

    /// The latest publication date that still serves a line needed on `needed_by`.
    pub fn tender_start_by(self, needed_by: NaiveDate) -> NaiveDate {
        let days = u64::try_from(self.total_days()).unwrap_or(0);
        needed_by.checked_sub_days(Days::new(days)).unwrap_or(NaiveDate::MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_inclusive_lower_bounds() {
        let t = Thresholds::default();
        let cases = [
            (149_999, Procedure::Direct, false),
            (150_000, Procedure::Invitation, false),
            (249_999, Procedure::Invitation, false),
            (250_000, Procedure::Open, false),
            (349_999, Procedure::Open, false),
            (350_000, Procedure::Open, true),
        ];
        for (value, procedure, treaty) in cases {
            assert_eq!(Procedure::for_value(Chf(value), &t), procedure, "{value}");
            assert_eq!(in_treaty_area(Chf(value), &t), treaty, "{value}");
        }
    }

    #[test]
    fn the_federal_thresholds_are_a_setting() {
        let federal = Thresholds { open_chf: 230_000, treaty_chf: 230_000, ..Thresholds::default() };
        assert_eq!(Procedure::for_value(Chf(240_000), &federal), Procedure::Open);
        assert!(in_treaty_area(Chf(240_000), &federal));
    }

    #[test]
    fn lead_times_add_up_per_procedure_and_category() {
        let settings = LeadTimes::default();
        let needed = NaiveDate::from_ymd_opt(2027, 6, 30).unwrap();
        let open_treaty = LeadTime::of(Procedure::Open, true, Category::Vehicle, &settings);
        assert_eq!(open_treaty.total_days(), 40 + 30 + 20 + 120);
        assert_eq!(open_treaty.tender_start_by(needed), NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        assert_eq!(LeadTime::of(Procedure::Open, false, Category::Pc, &settings).total_days(), 20 + 30 + 20 + 30);
        assert_eq!(LeadTime::of(Procedure::Invitation, false, Category::Printer, &settings).total_days(), 100);
        assert_eq!(LeadTime::of(Procedure::Direct, false, Category::Pc, &settings).total_days(), 10 + 30);
    }
}
