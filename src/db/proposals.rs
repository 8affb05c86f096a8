//! Joint tender proposals: generation from submitted demand, and the officer's transitions.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{json, Value};
use uuid::Uuid;

use super::audit::{self, Actor};
use super::schema::{demands, proposal_lines, proposals, units};
use super::{insert_all, new_id, now, webhooks, DbConnection};
use crate::domain::bundling::{bundle, BundleParams, Line, UnbundledReason};
use crate::domain::demand::DemandStatus;
use crate::domain::money::Chf;
use crate::domain::proposal::{
    evaluate, Context, CrossedThresholds, Decision, EvaluatedProposal, ProposalAction, ProposalStatus,
};
use crate::domain::settings::ProcurementSettings;
use crate::domain::spec::{Category, Spec};
use crate::domain::splitting::{analyse, Spend};
use crate::domain::webhooks::EventType;
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = proposals)]
pub struct ProposalRow {
    pub id: String,
    pub position: i32,
    pub title: String,
    pub category: String,
    pub cpv: String,
    pub spec: String,
    pub budget_year: i32,
    pub unit_ids: String,
    pub lead_entity_id: String,
    pub total_quantity: i64,
    pub estimated_value_chf: i64,
    pub procedure: String,
    pub treaty_area: bool,
    pub needed_by: NaiveDate,
    pub tender_start_by: NaiveDate,
    pub estimated_savings_chf: i64,
    pub savings_breakdown: String,
    pub warnings: String,
    pub status: String,
    pub decision: Option<String>,
    pub tender_reference: Option<String>,
    pub awarded_supplier: Option<String>,
    pub awarded_value_chf: Option<i64>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ProposalRow {
    pub fn status(&self) -> Result<ProposalStatus, ApiError> {
        ProposalStatus::parse(&self.status)
            .ok_or_else(|| ApiError::internal(format!("proposal {} has unknown status {}", self.id, self.status)))
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = proposal_lines)]
pub struct LineRow {
    pub proposal_id: String,
    pub demand_id: String,
    pub position: i32,
    pub unit_id: String,
    pub quantity: i64,
    pub unit_price_chf: i64,
    pub needed_by: NaiveDate,
    pub demand_version: i64,
    pub live: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct GenerateParams {
    pub budget_year: Option<i32>,
    pub window_days: i64,
    pub min_units: usize,
}

pub struct Generated {
    pub proposals: Vec<(ProposalRow, Vec<LineRow>)>,
    pub unbundled: Vec<(String, UnbundledReason)>,
}

/// Any key: the same for every tenderpool process on one database.
const GENERATE_LOCK_KEY: i64 = 0x7465_6e64_6567;

type CandidateRow = (String, String, String, String, i64, i64, NaiveDate, i32, i64, String);
type SpendRow = (String, String, String, i32, i64, i64);

/// Interns unit ids as the small integers the engine works with.
#[derive(Default)]
struct UnitTable {
    index: HashMap<String, u32>,
    ids: Vec<String>,
    entity: Vec<u32>,
}

impl UnitTable {
    fn intern(&mut self, id: &str) -> u32 {
        if let Some(&known) = self.index.get(id) {
            return known;
        }
        let next = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.index.insert(id.to_owned(), next);
        self.ids.push(id.to_owned());
        self.entity.push(next);
        next
    }

    fn intern_with_entity(&mut self, id: &str, entity_id: &str) -> u32 {
        let entity = self.intern(entity_id);
        let unit = self.intern(id);
        self.entity[unit as usize] = entity;
        unit
    }
}

/// Replaces the draft proposals in scope with a fresh bundling of submitted demand, in one
/// transaction. Approved and later proposals are never touched.
pub fn generate(
    connection: &mut DbConnection,
    actor: &Actor,
    params: GenerateParams,
    settings: &ProcurementSettings,
    today: NaiveDate,
) -> Result<Generated, ApiError> {
    if let DbConnection::Postgresql(pg) = connection {
        // Two generate calls, even from two processes, run one after the other.
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(GENERATE_LOCK_KEY)
            .execute(pg)?;
    }
    delete_drafts(connection, params.budget_year)?;

    let mut candidates = demands::table
        .inner_join(units::table)
        .filter(demands::status.eq(DemandStatus::Submitted.as_str()))
        .into_boxed();
    if let Some(year) = params.budget_year {
        candidates = candidates.filter(demands::budget_year.eq(year));
    }
    let rows: Vec<CandidateRow> = candidates
        .select((
            demands::id,
            demands::unit_id,
            demands::category,
            demands::spec,
            demands::quantity,
            demands::unit_price_chf,
            demands::needed_by,
            demands::budget_year,
            demands::version,
            units::legal_entity_id,
        ))
        // A fixed input order makes the unit numbering, and so every tie, the same each time.
        .order(demands::id.asc())
        .load(connection)?;

    let mut table = UnitTable::default();
    let mut lines = Vec::with_capacity(rows.len());
    let mut budget_years = Vec::with_capacity(rows.len());
    for (id, unit_id, category, spec, quantity, price, needed_by, year, _, entity) in &rows {
        let corrupt = || ApiError::internal(format!("demand {id} cannot be read"));
        let category = Category::parse(category).ok_or_else(corrupt)?;
        lines.push(Line {
            id: Uuid::parse_str(id).map_err(|_| corrupt())?,
            unit: table.intern_with_entity(unit_id, entity),
            spec: Spec::from_stored(category, spec).ok_or_else(corrupt)?,
            quantity: *quantity,
            unit_price: Chf(*price),
            needed_by: *needed_by,
        });
        budget_years.push(*year);
    }
    let crossed = splitting_flags(connection, params.budget_year, &mut table, settings)?;

    let outcome = bundle(&lines, BundleParams { window_days: params.window_days, min_units: params.min_units });
    let context = Context {
        lines: &lines,
        budget_years: &budget_years,
        unit_entity: &table.entity,
        unit_ids: &table.ids,
        crossed: &crossed,
        settings,
        today,
    };
    let created_at = now();
    let (proposal_rows, line_groups): (Vec<ProposalRow>, Vec<Vec<LineRow>>) = outcome
        .bundles
        .iter()
        .enumerate()
        .map(|(position, bundled)| {
            let position = i32::try_from(position).unwrap_or(i32::MAX);
            proposal_rows(&evaluate(bundled, &context), position, &rows, created_at)
        })
        .unzip();
    insert_all!(connection, proposals::table, proposal_rows);
    for lines in &line_groups {
        insert_all!(connection, proposal_lines::table, lines);
    }
    let generated: Vec<(ProposalRow, Vec<LineRow>)> = proposal_rows.into_iter().zip(line_groups).collect();
    let entries: Vec<_> = generated
        .iter()
        .map(|(row, lines)| {
            let detail = json!({"title": row.title, "lines": lines.len(), "estimated_value_chf": row.estimated_value_chf,
                                "procedure": row.procedure, "params": {"budget_year": params.budget_year,
                                "window_days": params.window_days, "min_units": params.min_units}});
            audit::Entry { action: "proposal.generated", entity_type: "proposal", entity_id: row.id.clone(), detail }
        })
        .collect();
    audit::record_all(connection, actor, &entries)?;
    let events = generated.iter().map(|(row, _)| (EventType::ProposalGenerated, event_data(row))).collect();
    webhooks::enqueue_all(connection, events)?;

    let unbundled = outcome.unbundled.iter().map(|&(index, reason)| (rows[index].0.clone(), reason)).collect();
    Ok(Generated { proposals: generated, unbundled })
}

fn proposal_rows(
    evaluated: &EvaluatedProposal,
    position: i32,
    rows: &[CandidateRow],
    created_at: NaiveDateTime,
) -> (ProposalRow, Vec<LineRow>) {
    let id = new_id();
    let lines = evaluated
        .lines
        .iter()
        .enumerate()
        .map(|(line_position, &index)| {
            let (demand_id, unit_id, _, _, quantity, price, needed_by, _, version, _) = &rows[index];
            LineRow {
                proposal_id: id.clone(),
                demand_id: demand_id.clone(),
                position: i32::try_from(line_position).unwrap_or(i32::MAX),
                unit_id: unit_id.clone(),
                quantity: *quantity,
                unit_price_chf: *price,
                needed_by: *needed_by,
                demand_version: *version,
                live: true,
            }
        })
        .collect();
    let row = ProposalRow {
        id,
        position,
        title: evaluated.title.clone(),
        category: evaluated.category.as_str().to_owned(),
        cpv: evaluated.cpv.to_owned(),
        spec: serde_json::to_string(&evaluated.spec).unwrap_or_default(),
        budget_year: evaluated.budget_year,
        unit_ids: serde_json::to_string(&evaluated.unit_ids).unwrap_or_default(),
        lead_entity_id: evaluated.lead_entity_id.clone(),
        total_quantity: evaluated.total_quantity,
        estimated_value_chf: evaluated.value.0,
        procedure: evaluated.procedure.as_str().to_owned(),
        treaty_area: evaluated.treaty_area,
        needed_by: evaluated.needed_by,
        tender_start_by: evaluated.tender_start_by,
        estimated_savings_chf: evaluated.savings.total().0,
        savings_breakdown: serde_json::to_string(&evaluated.savings).unwrap_or_default(),
        warnings: serde_json::to_string(&evaluated.warnings).unwrap_or_default(),
        status: ProposalStatus::Draft.as_str().to_owned(),
        decision: None,
        tender_reference: None,
        awarded_supplier: None,
        awarded_value_chf: None,
        version: 1,
        created_at,
        updated_at: created_at,
    };
    (row, lines)
}

/// Drafts in scope: all of them, or those of the budget year and those holding its demand.
fn delete_drafts(connection: &mut DbConnection, budget_year: Option<i32>) -> Result<(), ApiError> {
    let draft = ProposalStatus::Draft.as_str();
    let ids: Vec<String> = match budget_year {
        None => proposals::table.filter(proposals::status.eq(draft)).select(proposals::id).load(connection)?,
        Some(year) => {
            let holding_year = proposal_lines::table
                .inner_join(demands::table)
                .filter(demands::budget_year.eq(year))
                .select(proposal_lines::proposal_id);
            proposals::table
                .filter(proposals::status.eq(draft))
                .filter(proposals::budget_year.eq(year).or(proposals::id.eq_any(holding_year)))
                .select(proposals::id)
                .load(connection)?
        }
    };
    for chunk in ids.chunks(500) {
        diesel::delete(proposal_lines::table.filter(proposal_lines::proposal_id.eq_any(chunk))).execute(connection)?;
        diesel::delete(proposals::table.filter(proposals::id.eq_any(chunk))).execute(connection)?;
    }
    Ok(())
}

/// One demand line's planned spend, for the splitting check and the reports.
pub struct PlannedSpend {
    pub unit_id: String,
    pub legal_entity_id: String,
    pub category: Category,
    pub budget_year: i32,
    pub value: Chf,
}

/// Spend of submitted and bundled demand, the basis of the splitting check.
pub fn planned_spend(connection: &mut DbConnection, budget_year: Option<i32>) -> Result<Vec<PlannedSpend>, ApiError> {
    let live = [DemandStatus::Submitted.as_str(), DemandStatus::Bundled.as_str()];
    let mut query = demands::table.inner_join(units::table).filter(demands::status.eq_any(live)).into_boxed();
    if let Some(year) = budget_year {
        query = query.filter(demands::budget_year.eq(year));
    }
    let rows: Vec<SpendRow> = query
        .select((
            demands::unit_id,
            units::legal_entity_id,
            demands::category,
            demands::budget_year,
            demands::quantity,
            demands::unit_price_chf,
        ))
        .load(connection)?;
    rows.into_iter()
        .map(|(unit, entity, category, year, quantity, price)| {
            let category =
                Category::parse(&category).ok_or_else(|| ApiError::internal("demand with unknown category"))?;
            Ok(PlannedSpend {
                unit_id: unit,
                legal_entity_id: entity,
                category,
                budget_year: year,
                value: Chf(price).times(quantity),
            })
        })
        .collect()
}

fn splitting_flags(
    connection: &mut DbConnection,
    budget_year: Option<i32>,
    table: &mut UnitTable,
    settings: &ProcurementSettings,
) -> Result<CrossedThresholds, ApiError> {
    let spends: Vec<Spend> = planned_spend(connection, budget_year)?
        .into_iter()
        .map(|spend| {
            let unit = table.intern_with_entity(&spend.unit_id, &spend.legal_entity_id);
            Spend {
                unit,
                entity: table.entity[unit as usize],
                category: spend.category,
                budget_year: spend.budget_year,
                value: spend.value,
            }
        })
        .collect();
    Ok(analyse(&spends, &settings.thresholds)
        .into_iter()
        .filter_map(|group| {
            group
                .crossed_threshold
                .map(|threshold| ((group.entity, group.category, group.budget_year), (threshold, group.total)))
        })
        .collect())
}

/// Which proposals `list` returns.
#[derive(Debug, Clone, Default)]
pub struct ProposalFilter {
    pub status: Option<ProposalStatus>,
    pub category: Option<Category>,
    pub budget_year: Option<i32>,
    /// Only proposals holding this unit's lines.
    pub unit_id: Option<String>,
}

pub fn list(
    connection: &mut DbConnection,
    filter: &ProposalFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ProposalRow>, i64), ApiError> {
    let filtered = || {
        let mut query = proposals::table.into_boxed();
        if let Some(status) = filter.status {
            query = query.filter(proposals::status.eq(status.as_str()));
        }
        if let Some(category) = filter.category {
            query = query.filter(proposals::category.eq(category.as_str()));
        }
        if let Some(year) = filter.budget_year {
            query = query.filter(proposals::budget_year.eq(year));
        }
        if let Some(unit) = &filter.unit_id {
            let holding = proposal_lines::table
                .filter(proposal_lines::unit_id.eq(unit.clone()))
                .select(proposal_lines::proposal_id);
            query = query.filter(proposals::id.eq_any(holding));
        }
        query
    };
    let total = filtered().count().get_result(connection)?;
    let rows = filtered()
        .order((proposals::created_at.asc(), proposals::position.asc(), proposals::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(ProposalRow::as_select())
        .load(connection)?;
    Ok((rows, total))
}

/// The proposal, if the caller may see it: a unit only sees proposals holding its lines.
pub fn find_visible(connection: &mut DbConnection, id: &str, unit: Option<&str>) -> Result<ProposalRow, ApiError> {
    let row: Option<ProposalRow> =
        proposals::table.find(id).select(ProposalRow::as_select()).get_result(connection).optional()?;
    let row = row.ok_or_else(|| ApiError::not_found("proposal", id))?;
    if let Some(unit) = unit {
        let holds: i64 = proposal_lines::table
            .filter(proposal_lines::proposal_id.eq(id))
            .filter(proposal_lines::unit_id.eq(unit))
            .count()
            .get_result(connection)?;
        if holds == 0 {
            return Err(ApiError::not_found("proposal", id));
        }
    }
    Ok(row)
}

/// The lines of one proposal, by position.
pub fn lines_of_one(connection: &mut DbConnection, id: &str) -> Result<Vec<LineRow>, ApiError> {
    Ok(lines_of(connection, &[id.to_owned()])?.remove(id).unwrap_or_default())
}

/// The lines of these proposals, by proposal then position.
pub fn lines_of(connection: &mut DbConnection, ids: &[String]) -> Result<HashMap<String, Vec<LineRow>>, ApiError> {
    let mut by_proposal: HashMap<String, Vec<LineRow>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<LineRow> = proposal_lines::table
            .filter(proposal_lines::proposal_id.eq_any(chunk))
            .order((proposal_lines::proposal_id.asc(), proposal_lines::position.asc()))
            .select(LineRow::as_select())
            .load(connection)?;
        for row in rows {
            by_proposal.entry(row.proposal_id.clone()).or_default().push(row);
        }
    }
    Ok(by_proposal)
}

/// Applies an officer's action: state check, `If-Match`, the lines' effects, audit.
pub fn transition(
    connection: &mut DbConnection,
    actor: &Actor,
    id: &str,
    if_match: Option<i64>,
    action: ProposalAction,
    decision: &Decision,
) -> Result<ProposalRow, ApiError> {
    let row = find_visible(connection, id, None)?;
    if let Some(expected) = if_match.filter(|expected| *expected != row.version) {
        return Err(ApiError::PreconditionFailed(format!(
            "proposal {id} is at version {}, not {expected}; reload it and try again",
            row.version
        )));
    }
    let from = row.status()?;
    let to = action.apply(from).map_err(ApiError::Conflict)?;
    let at = now();
    let mut record = json!({"action": action, "by": actor.sub, "role": actor.role,
                            "at": at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)});
    for (key, value) in [
        ("comment", &decision.comment),
        ("reason", &decision.reason),
        ("reference", &decision.reference),
        ("supplier", &decision.supplier),
    ] {
        if let Some(value) = value {
            record[key] = Value::String(value.clone());
        }
    }
    if let Some(value) = decision.awarded_value_chf {
        record["awarded_value_chf"] = json!(value);
    }
    let read_version = row.version;
    // The row as this action leaves it, so it need not be read back.
    let mut row = ProposalRow {
        status: to.as_str().to_owned(),
        decision: Some(record.to_string()),
        version: read_version + 1,
        updated_at: at,
        ..row
    };
    match action {
        ProposalAction::Tender => row.tender_reference.clone_from(&decision.reference),
        ProposalAction::Award => {
            row.awarded_supplier.clone_from(&decision.supplier);
            row.awarded_value_chf = decision.awarded_value_chf;
        }
        ProposalAction::Approve | ProposalAction::Cancel | ProposalAction::Reject => {}
    }
    // Compare-and-swap on the version first: of two concurrent actions exactly one gets here.
    let changed = diesel::update(proposals::table.find(id).filter(proposals::version.eq(read_version)))
        .set((
            proposals::status.eq(&row.status),
            proposals::decision.eq(&row.decision),
            proposals::tender_reference.eq(&row.tender_reference),
            proposals::awarded_supplier.eq(&row.awarded_supplier),
            proposals::awarded_value_chf.eq(row.awarded_value_chf),
            proposals::version.eq(row.version),
            proposals::updated_at.eq(row.updated_at),
        ))
        .execute(connection)?;
    if changed == 0 {
        return Err(ApiError::Conflict(format!("proposal {id} was changed concurrently; reload it and try again")));
    }
    match action {
        ProposalAction::Approve => bundle_lines(connection, id, at)?,
        ProposalAction::Cancel => unbundle_lines(connection, id, at)?,
        ProposalAction::Tender | ProposalAction::Award | ProposalAction::Reject => {}
    }
    if !to.is_live() {
        diesel::update(proposal_lines::table.filter(proposal_lines::proposal_id.eq(id)))
            .set(proposal_lines::live.eq(false))
            .execute(connection)?;
    }
    let detail = json!({"from": from, "to": to, "decision": record});
    audit::record(connection, actor, &format!("proposal.{to}"), "proposal", id, &detail)?;
    let event = match action {
        ProposalAction::Approve => EventType::ProposalApproved,
        ProposalAction::Reject => EventType::ProposalRejected,
        ProposalAction::Tender => EventType::ProposalTendered,
        ProposalAction::Award => EventType::ProposalAwarded,
        ProposalAction::Cancel => EventType::ProposalCancelled,
    };
    webhooks::enqueue(connection, event, event_data(&row))?;
    Ok(row)
}

/// What a webhook tells about a proposal: enough to fetch it, nothing more.
fn event_data(row: &ProposalRow) -> Value {
    json!({"proposal_id": row.id, "status": row.status, "title": row.title, "category": row.category,
           "estimated_value_chf": row.estimated_value_chf, "version": row.version})
}

/// Marks every line's demand bundled, if each is still submitted and unchanged since the
/// proposal was generated; otherwise the whole approval rolls back.
fn bundle_lines(connection: &mut DbConnection, id: &str, at: NaiveDateTime) -> Result<(), ApiError> {
    let expected: i64 =
        proposal_lines::table.filter(proposal_lines::proposal_id.eq(id)).count().get_result(connection)?;
    let unchanged = diesel::dsl::exists(
        proposal_lines::table
            .filter(proposal_lines::proposal_id.eq(id))
            .filter(proposal_lines::demand_id.eq(demands::id))
            .filter(proposal_lines::demand_version.eq(demands::version)),
    );
    let bundled =
        diesel::update(demands::table.filter(demands::status.eq(DemandStatus::Submitted.as_str())).filter(unchanged))
            .set((
                demands::status.eq(DemandStatus::Bundled.as_str()),
                demands::proposal_id.eq(id),
                demands::version.eq(demands::version + 1),
                demands::updated_at.eq(at),
            ))
            .execute(connection)?;
    if i64::try_from(bundled).unwrap_or(0) != expected {
        return Err(ApiError::Conflict(format!(
            "{} of the {expected} demand lines were edited or withdrawn since this proposal was generated; generate again",
            expected - i64::try_from(bundled).unwrap_or(0)
        )));
    }
    Ok(())
}

/// Returns a cancelled proposal's demand to `submitted`, so it can be bundled again.
fn unbundle_lines(connection: &mut DbConnection, id: &str, at: NaiveDateTime) -> Result<(), ApiError> {
    diesel::update(
        demands::table.filter(demands::proposal_id.eq(id)).filter(demands::status.eq(DemandStatus::Bundled.as_str())),
    )
    .set((
        demands::status.eq(DemandStatus::Submitted.as_str()),
        demands::proposal_id.eq(None::<String>),
        demands::version.eq(demands::version + 1),
        demands::updated_at.eq(at),
    ))
    .execute(connection)?;
    Ok(())
}
