//! Reports for officers: what bundling achieved (synergies) and where separate purchases
//! would split a contract (splitting).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::money::Chf;
use super::procedure::Procedure;
use super::proposal::ProposalStatus;
use super::settings::Thresholds;
use super::spec::Category;
use super::splitting::SplittingGroup;

/// A demand line as the synergy report counts it.
pub struct DemandFact {
    pub unit_id: String,
    pub category: Category,
    pub value: Chf,
}

/// An approved, tendered or awarded proposal, with each unit's value in it.
pub struct ProposalFact {
    pub category: Category,
    pub status: ProposalStatus,
    pub value: Chf,
    pub estimated_savings: Chf,
    pub awarded_value: Option<Chf>,
    pub unit_values: BTreeMap<String, Chf>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SynergyFigures {
    /// Submitted and bundled demand.
    pub demand_value_chf: i64,
    /// Demand in approved, tendered or awarded proposals.
    pub bundled_value_chf: i64,
    /// Approved, tendered or awarded proposals.
    pub proposals: i64,
    /// Separate procedures the units would have run, minus the joint ones.
    pub procedures_avoided: i64,
    pub estimated_savings_chf: i64,
    /// Estimated value minus awarded value, for awarded proposals.
    pub realised_savings_chf: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CategorySynergies {
    pub category: Category,
    #[serde(flatten)]
    pub figures: SynergyFigures,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UnitSynergies {
    pub unit_id: String,
    pub demand_value_chf: i64,
    pub bundled_value_chf: i64,
    /// The unit's share of its proposals' savings, by value.
    pub estimated_savings_chf: i64,
    pub realised_savings_chf: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SynergyReport {
    pub budget_year: Option<i32>,
    pub totals: SynergyFigures,
    pub by_category: Vec<CategorySynergies>,
    pub by_unit: Vec<UnitSynergies>,
}

fn share(amount: i64, part: Chf, whole: Chf) -> i64 {
    if whole.0 == 0 {
        return 0;
    }
    i64::try_from(i128::from(amount) * i128::from(part.0) / i128::from(whole.0)).unwrap_or(0)
}

pub fn synergies(budget_year: Option<i32>, demand: &[DemandFact], proposals: &[ProposalFact]) -> SynergyReport {
    let mut totals = SynergyFigures::default();
    let mut categories: BTreeMap<Category, SynergyFigures> =
        Category::ALL.iter().map(|c| (*c, SynergyFigures::default())).collect();
    let mut units: BTreeMap<String, UnitSynergies> = BTreeMap::new();
    for fact in demand {
        for figures in [&mut totals, categories.get_mut(&fact.category).expect("every category")] {
            figures.demand_value_chf += fact.value.0;
        }
        unit_of(&mut units, &fact.unit_id).demand_value_chf += fact.value.0;
    }
    for proposal in proposals {
        let realised = match (proposal.status, proposal.awarded_value) {
            (ProposalStatus::Awarded, Some(awarded)) => proposal.value.0 - awarded.0,
            _ => 0,
        };
        let avoided = i64::try_from(proposal.unit_values.len()).unwrap_or(0) - 1;
        for figures in [&mut totals, categories.get_mut(&proposal.category).expect("every category")] {
            figures.bundled_value_chf += proposal.value.0;
            figures.proposals += 1;
            figures.procedures_avoided += avoided;
            figures.estimated_savings_chf += proposal.estimated_savings.0;
            figures.realised_savings_chf += realised;
        }
        for (unit_id, value) in &proposal.unit_values {
            let unit = unit_of(&mut units, unit_id);
            unit.bundled_value_chf += value.0;
            unit.estimated_savings_chf += share(proposal.estimated_savings.0, *value, proposal.value);
            unit.realised_savings_chf += share(realised, *value, proposal.value);
        }
    }
    SynergyReport {
        budget_year,
        totals,
        by_category: categories
            .into_iter()
            .map(|(category, figures)| CategorySynergies { category, figures })
            .collect(),
        by_unit: units.into_values().collect(),
    }
}

fn unit_of<'a>(units: &'a mut BTreeMap<String, UnitSynergies>, id: &str) -> &'a mut UnitSynergies {
    units.entry(id.to_owned()).or_insert_with(|| UnitSynergies {
        unit_id: id.to_owned(),
        demand_value_chf: 0,
        bundled_value_chf: 0,
        estimated_savings_chf: 0,
        realised_savings_chf: 0,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UnitSpend {
    pub unit_id: String,
    pub value_chf: i64,
    /// The procedure this unit's demand would need on its own.
    pub procedure_alone: Procedure,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "legal_entity_id": "lu", "category": "pc", "budget_year": 2027, "total_chf": 270_000,
    "procedure_together": "open", "threshold_crossed": true, "crossed_threshold_chf": 250_000,
    "units": [{"unit_id": "buwd-vif", "value_chf": 90000, "procedure_alone": "direct"}]
}))]
pub struct SplittingEntry {
    /// The contracting authority the ban on splitting binds.
    pub legal_entity_id: String,
    pub category: Category,
    pub budget_year: i32,
    pub total_chf: i64,
    pub procedure_together: Procedure,
    /// Every unit stays below a threshold that their sum reaches.
    pub threshold_crossed: bool,
    pub crossed_threshold_chf: Option<i64>,
    pub units: Vec<UnitSpend>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SplittingReport {
    pub budget_year: Option<i32>,
    /// How many entries cross a threshold.
    pub risks: i64,
    pub entries: Vec<SplittingEntry>,
}

pub fn splitting(
    budget_year: Option<i32>,
    groups: &[SplittingGroup],
    unit_ids: &[String],
    thresholds: &Thresholds,
) -> SplittingReport {
    let mut entries: Vec<SplittingEntry> = groups
        .iter()
        .map(|group| SplittingEntry {
            legal_entity_id: unit_ids[group.entity as usize].clone(),
            category: group.category,
            budget_year: group.budget_year,
            total_chf: group.total.0,
            procedure_together: Procedure::for_value(group.total, thresholds),
            threshold_crossed: group.crossed_threshold.is_some(),
            crossed_threshold_chf: group.crossed_threshold,
            units: group
                .units
                .iter()
                .map(|(unit, value)| UnitSpend {
                    unit_id: unit_ids[*unit as usize].clone(),
                    value_chf: value.0,
                    procedure_alone: Procedure::for_value(*value, thresholds),
                })
                .collect(),
        })
        .collect();
    entries.sort_by(|a, b| {
        (&a.legal_entity_id, a.category, a.budget_year).cmp(&(&b.legal_entity_id, b.category, b.budget_year))
    });
    for entry in &mut entries {
        entry.units.sort_by(|a, b| a.unit_id.cmp(&b.unit_id));
    }
    SplittingReport {
        budget_year,
        risks: i64::try_from(entries.iter().filter(|entry| entry.threshold_crossed).count()).unwrap_or(0),
        entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn savings_are_shared_by_value_and_totals_add_up() {
        let demand = [
            DemandFact { unit_id: "a".into(), category: Category::Pc, value: Chf(30_000) },
            DemandFact { unit_id: "b".into(), category: Category::Pc, value: Chf(10_000) },
            DemandFact { unit_id: "b".into(), category: Category::Printer, value: Chf(5_000) },
        ];
        let proposal = ProposalFact {
            category: Category::Pc,
            status: ProposalStatus::Awarded,
            value: Chf(40_000),
            estimated_savings: Chf(4_000),
            awarded_value: Some(Chf(36_000)),
            unit_values: [("a".to_owned(), Chf(30_000)), ("b".to_owned(), Chf(10_000))].into(),
        };
        let report = synergies(Some(2027), &demand, &[proposal]);
        assert_eq!(report.totals.demand_value_chf, 45_000);
        assert_eq!(report.totals.bundled_value_chf, 40_000);
        assert_eq!(report.totals.procedures_avoided, 1);
        assert_eq!(report.totals.realised_savings_chf, 4_000);
        let a = &report.by_unit[0];
        assert_eq!((a.unit_id.as_str(), a.estimated_savings_chf, a.realised_savings_chf), ("a", 3_000, 3_000));
        let pc = report.by_category.iter().find(|entry| entry.category == Category::Pc).unwrap();
        assert_eq!(pc.figures.proposals, 1);
    }
}
