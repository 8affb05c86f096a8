//! Loads what the officers' reports are computed from.

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::proposals::planned_spend;
use super::schema::{proposal_lines, proposals};
use super::DbConnection;
use crate::domain::money::Chf;
use crate::domain::proposal::ProposalStatus;
use crate::domain::reports::{self, DemandFact, ProposalFact, SplittingReport, SynergyReport};
use crate::domain::settings::ProcurementSettings;
use crate::domain::spec::Category;
use crate::domain::splitting::{analyse, Spend};
use crate::error::ApiError;

pub fn synergies(connection: &mut DbConnection, budget_year: Option<i32>) -> Result<SynergyReport, ApiError> {
    let demand: Vec<DemandFact> = planned_spend(connection, budget_year)?
        .into_iter()
        .map(|spend| DemandFact { unit_id: spend.unit_id, category: spend.category, value: spend.value })
        .collect();

    let committed =
        [ProposalStatus::Approved, ProposalStatus::Tendered, ProposalStatus::Awarded].map(ProposalStatus::as_str);
    let mut query = proposals::table.filter(proposals::status.eq_any(committed)).into_boxed();
    if let Some(year) = budget_year {
        query = query.filter(proposals::budget_year.eq(year));
    }
    let rows: Vec<(String, String, String, i64, i64, Option<i64>)> = query
        .select((
            proposals::id,
            proposals::category,
            proposals::status,
            proposals::estimated_value_chf,
            proposals::estimated_savings_chf,
            proposals::awarded_value_chf,
        ))
        .load(connection)?;
    let ids: Vec<String> = rows.iter().map(|row| row.0.clone()).collect();
    let mut unit_values: BTreeMap<String, BTreeMap<String, Chf>> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let lines: Vec<(String, String, i64, i64)> = proposal_lines::table
            .filter(proposal_lines::proposal_id.eq_any(chunk))
            .select((
                proposal_lines::proposal_id,
                proposal_lines::unit_id,
                proposal_lines::quantity,
                proposal_lines::unit_price_chf,
            ))
            .load(connection)?;
        for (proposal, unit, quantity, price) in lines {
            let value = unit_values.entry(proposal).or_default().entry(unit).or_default();
            *value = *value + Chf(price).times(quantity);
        }
    }
    let facts = rows
        .into_iter()
        .map(|(id, category, status, value, savings, awarded)| {
            Ok(ProposalFact {
                category: Category::parse(&category)
                    .ok_or_else(|| ApiError::internal("proposal with unknown category"))?,
                status: ProposalStatus::parse(&status)
                    .ok_or_else(|| ApiError::internal("proposal with unknown status"))?,
                value: Chf(value),
                estimated_savings: Chf(savings),
                awarded_value: awarded.map(Chf),
                unit_values: unit_values.remove(&id).unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(reports::synergies(budget_year, &demand, &facts))
}

pub fn splitting(
    connection: &mut DbConnection,
    budget_year: Option<i32>,
    settings: &ProcurementSettings,
) -> Result<SplittingReport, ApiError> {
    let mut ids: Vec<String> = Vec::new();
    let mut index: BTreeMap<String, u32> = BTreeMap::new();
    let mut intern = |id: String| -> u32 {
        *index.entry(id.clone()).or_insert_with(|| {
            ids.push(id);
            u32::try_from(ids.len() - 1).unwrap_or(u32::MAX)
        })
    };
    let spends: Vec<Spend> = planned_spend(connection, budget_year)?
        .into_iter()
        .map(|spend| Spend {
            unit: intern(spend.unit_id),
            entity: intern(spend.legal_entity_id),
            category: spend.category,
            budget_year: spend.budget_year,
            value: spend.value,
        })
        .collect();
    let groups = analyse(&spends, &settings.thresholds);
    Ok(reports::splitting(budget_year, &groups, &ids, &settings.thresholds))
}
