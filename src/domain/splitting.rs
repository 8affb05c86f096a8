//! The ban on splitting: one contracting authority may not cut a purchase into parts that each
//! stay below a procedure threshold (BöB Art. 15). Demand is summed per legal entity,
//! category and budget year.

use std::collections::BTreeMap;

use super::money::Chf;
use super::settings::Thresholds;
use super::spec::Category;

/// Planned spend of one unit, with the legal entity it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spend {
    pub unit: u32,
    pub entity: u32,
    pub category: Category,
    pub budget_year: i32,
    pub value: Chf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplittingGroup {
    pub entity: u32,
    pub category: Category,
    pub budget_year: i32,
    /// Each unit's sum, by unit.
    pub units: Vec<(u32, Chf)>,
    pub total: Chf,
    /// The highest threshold the sum reaches while every unit alone stays below it.
    pub crossed_threshold: Option<i64>,
}

pub fn analyse(spends: &[Spend], thresholds: &Thresholds) -> Vec<SplittingGroup> {
    let mut groups: BTreeMap<(u32, Category, i32), BTreeMap<u32, Chf>> = BTreeMap::new();
    for spend in spends {
        let units = groups.entry((spend.entity, spend.category, spend.budget_year)).or_default();
        let sum = units.entry(spend.unit).or_default();
        *sum = *sum + spend.value;
    }
    groups
        .into_iter()
        .map(|((entity, category, budget_year), units)| {
            let total: Chf = units.values().copied().sum();
            let largest = units.values().copied().max().unwrap_or_default();
            let crossed_threshold = [thresholds.treaty_chf, thresholds.open_chf, thresholds.invitation_chf]
                .into_iter()
                .find(|&threshold| total.0 >= threshold && largest.0 < threshold);
            SplittingGroup {
                entity,
                category,
                budget_year,
                units: units.into_iter().collect(),
                total,
                crossed_threshold,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spend(unit: u32, entity: u32, value: i64) -> Spend {
        Spend { unit, entity, category: Category::Pc, budget_year: 2027, value: Chf(value) }
    }

    #[test]
    fn units_below_a_threshold_that_together_cross_it_are_flagged() {
        let groups = analyse(&[spend(1, 0, 90_000), spend(2, 0, 90_000), spend(3, 0, 90_000)], &Thresholds::default());
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].total, Chf(270_000));
        assert_eq!(groups[0].crossed_threshold, Some(250_000), "the highest threshold crossed");
    }

    #[test]
    fn legal_entities_are_summed_apart() {
        let groups = analyse(&[spend(1, 0, 100_000), spend(2, 9, 100_000)], &Thresholds::default());
        assert_eq!(groups.len(), 2);
        assert!(groups.iter().all(|group| group.crossed_threshold.is_none()));
    }

    #[test]
    fn a_unit_that_alone_needs_the_procedure_splits_nothing() {
        let groups = analyse(&[spend(1, 0, 260_000), spend(2, 0, 10_000)], &Thresholds::default());
        assert_eq!(groups[0].crossed_threshold, None);
        let groups = analyse(&[spend(1, 0, 160_000), spend(2, 0, 160_000)], &Thresholds::default());
        assert_eq!(groups[0].crossed_threshold, Some(250_000), "each needs an invitation, together open");
    }
}
