//! Demand: planned purchases of one unit each.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{json, Value};

use super::audit::{self, Actor};
use super::schema::demands;
use super::{new_id, now, units, webhooks, DbConnection};
use crate::domain::demand::{parse_patch, DemandContent, DemandStatus, DemandTransition};
use crate::domain::money::Chf;
use crate::domain::spec::{Category, Spec};
use crate::domain::validation::FieldError;
use crate::domain::webhooks::EventType;
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = demands)]
pub struct DemandRow {
    pub id: String,
    pub unit_id: String,
    pub category: String,
    pub spec: String,
    pub cpv: String,
    pub quantity: i64,
    pub unit_price_chf: i64,
    pub needed_by: NaiveDate,
    pub budget_year: i32,
    pub delivery_site: Option<String>,
    pub justification: Option<String>,
    pub status: String,
    pub proposal_id: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl DemandRow {
    /// A new row for valid content, at version 1.
    pub fn new(unit_id: &str, status: DemandStatus, content: &DemandContent, created_at: NaiveDateTime) -> Self {
        DemandRow {
            id: new_id(),
            unit_id: unit_id.to_owned(),
            category: content.category().as_str().to_owned(),
            spec: spec_text(&content.spec),
            cpv: content.spec.cpv().to_owned(),
            quantity: content.quantity,
            unit_price_chf: content.unit_price.0,
            needed_by: content.needed_by,
            budget_year: content.budget_year,
            delivery_site: content.delivery_site.clone(),
            justification: content.justification.clone(),
            status: status.as_str().to_owned(),
            proposal_id: None,
            version: 1,
            created_at,
            updated_at: created_at,
        }
    }

    pub fn status(&self) -> Result<DemandStatus, ApiError> {
        DemandStatus::parse(&self.status)
            .ok_or_else(|| ApiError::internal(format!("demand {} has unknown status {}", self.id, self.status)))
    }

    /// The validated content this row was written from.
    pub fn content(&self) -> Result<DemandContent, ApiError> {
        let corrupt = || ApiError::internal(format!("demand {} has an unreadable spec", self.id));
        let category = Category::parse(&self.category).ok_or_else(corrupt)?;
        Ok(DemandContent {
            spec: Spec::from_stored(category, &self.spec).ok_or_else(corrupt)?,
            quantity: self.quantity,
            unit_price: Chf(self.unit_price_chf),
            needed_by: self.needed_by,
            budget_year: self.budget_year,
            delivery_site: self.delivery_site.clone(),
            justification: self.justification.clone(),
        })
    }
}

/// Which rows `list` returns; `unit_id` is forced to the caller's unit for unit tokens.
#[derive(Debug, Clone, Default)]
pub struct DemandFilter {
    pub unit_id: Option<String>,
    pub category: Option<Category>,
    pub status: Option<DemandStatus>,
    pub budget_year: Option<i32>,
}

fn spec_text(spec: &Spec) -> String {
    serde_json::to_string(spec).unwrap_or_default()
}

/// Creates demand for an active unit, with its audit entry.
pub fn create(
    connection: &mut DbConnection,
    actor: &Actor,
    unit_id: &str,
    status: DemandStatus,
    content: &DemandContent,
) -> Result<DemandRow, ApiError> {
    match units::find(connection, unit_id)? {
        Some(unit) if unit.active => {}
        Some(_) => return Err(ApiError::Validation(vec![FieldError::new("unit_id", "this unit is inactive")])),
        None => {
            return Err(ApiError::Validation(vec![FieldError::new("unit_id", format!("no unit with id {unit_id}"))]))
        }
    }
    let row = DemandRow::new(unit_id, status, content, now());
    diesel::insert_into(demands::table).values(&row).execute(connection)?;
    let detail = created_detail(&row);
    audit::record(connection, actor, "demand.created", "demand", &row.id, &detail)?;
    if status == DemandStatus::Submitted {
        webhooks::enqueue(connection, EventType::DemandSubmitted, event_data(&row))?;
    }
    Ok(row)
}

fn created_detail(row: &DemandRow) -> Value {
    json!({"unit_id": row.unit_id, "status": row.status, "category": row.category,
           "quantity": row.quantity, "unit_price_chf": row.unit_price_chf})
}

/// Writes many new rows at once, each with its audit entry (for imports and demo data).
pub fn insert_all(connection: &mut DbConnection, actor: &Actor, rows: &[DemandRow]) -> Result<(), ApiError> {
    super::insert_all!(connection, demands::table, rows);
    let entries: Vec<audit::Entry> = rows
        .iter()
        .map(|row| audit::Entry {
            action: "demand.created",
            entity_type: "demand",
            entity_id: row.id.clone(),
            detail: created_detail(row),
        })
        .collect();
    audit::record_all(connection, actor, &entries)?;
    let submitted = DemandStatus::Submitted.as_str();
    let events =
        rows.iter().filter(|row| row.status == submitted).map(|row| (EventType::DemandSubmitted, event_data(row)));
    webhooks::enqueue_all(connection, events.collect())
}

/// What a webhook tells about demand: enough to fetch it, nothing more.
fn event_data(row: &DemandRow) -> Value {
    json!({"demand_id": row.id, "unit_id": row.unit_id, "status": row.status, "version": row.version})
}

/// Imports validated rows for active units, all or nothing; errors name the file's rows.
pub fn import(
    connection: &mut DbConnection,
    actor: &Actor,
    rows: &[(u64, String, DemandStatus, DemandContent)],
) -> Result<Vec<String>, ApiError> {
    let active: std::collections::HashSet<String> =
        units::list(connection)?.into_iter().filter(|unit| unit.active).map(|unit| unit.id).collect();
    let errors: Vec<FieldError> = rows
        .iter()
        .filter(|(_, unit_id, _, _)| !active.contains(unit_id))
        .map(|(row, unit_id, _, _)| {
            FieldError::new("unit_id", format!("no active unit with id {unit_id}")).at_row(*row)
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let created_at = now();
    let new_rows: Vec<DemandRow> = rows
        .iter()
        .map(|(_, unit_id, status, content)| DemandRow::new(unit_id, *status, content, created_at))
        .collect();
    insert_all(connection, actor, &new_rows)?;
    Ok(new_rows.into_iter().map(|row| row.id).collect())
}

/// How many demand lines each status has.
pub fn count_by_status(connection: &mut DbConnection) -> Result<Vec<(String, i64)>, ApiError> {
    let mut counts = Vec::new();
    for status in DemandStatus::ALL {
        let count = demands::table.filter(demands::status.eq(status.as_str())).count().get_result(connection)?;
        counts.push((status.as_str().to_owned(), count));
    }
    Ok(counts)
}

/// Finds demand the caller may see: with a unit scope, another unit's demand is "not found".
pub fn find_visible(connection: &mut DbConnection, id: &str, scope: Option<&str>) -> Result<DemandRow, ApiError> {
    // `get_result`, not `first`: SQLite re-prepares a cached statement whenever its bound
    // `LIMIT` is bound again, and that re-parse cost a third of this request (found with perf).
    let row: Option<DemandRow> =
        demands::table.find(id).select(DemandRow::as_select()).get_result(connection).optional()?;
    visible(row, id, scope)
}

/// The demand rows among `ids` (for batched lookups; the caller checks who may see them).
pub fn fetch_many(connection: &mut DbConnection, ids: &[String]) -> Result<Vec<DemandRow>, ApiError> {
    let query = || demands::table.filter(demands::id.eq_any(ids));
    // On the inner connection, PostgreSQL gets `id = ANY($1)`: one prepared statement for
    // every batch size, where the multi-backend connection would send a new `IN` list.
    Ok(match connection {
        DbConnection::Postgresql(inner) => query().select(DemandRow::as_select()).load(inner)?,
        DbConnection::Sqlite(inner) => query().select(DemandRow::as_select()).load(inner)?,
    })
}

/// `row` if the caller may see it: with a unit scope, another unit's demand is "not found".
pub fn visible(row: Option<DemandRow>, id: &str, scope: Option<&str>) -> Result<DemandRow, ApiError> {
    match row {
        Some(row) if scope.is_none_or(|unit| unit == row.unit_id) => Ok(row),
        _ => Err(ApiError::not_found("demand", id)),
    }
}

pub fn list(
    connection: &mut DbConnection,
    filter: &DemandFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<DemandRow>, i64), ApiError> {
    let filtered = || {
        let mut query = demands::table.into_boxed();
        if let Some(unit_id) = &filter.unit_id {
            query = query.filter(demands::unit_id.eq(unit_id.clone()));
        }
        if let Some(category) = filter.category {
            query = query.filter(demands::category.eq(category.as_str()));
        }
        if let Some(status) = filter.status {
            query = query.filter(demands::status.eq(status.as_str()));
        }
        if let Some(year) = filter.budget_year {
            query = query.filter(demands::budget_year.eq(year));
        }
        query
    };
    let total = filtered().count().get_result(connection)?;
    let rows = filtered()
        .order((demands::created_at.asc(), demands::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(DemandRow::as_select())
        .load(connection)?;
    Ok((rows, total))
}

/// Checks `If-Match` against the stored version: a stale client gets 412.
fn check_version(row: &DemandRow, if_match: Option<i64>) -> Result<(), ApiError> {
    match if_match {
        Some(expected) if expected != row.version => Err(ApiError::PreconditionFailed(format!(
            "demand {} is at version {}, not {expected}; reload it and try again",
            row.id, row.version
        ))),
        _ => Ok(()),
    }
}

/// A writer that lost the race to another one gets 409, never a silent overwrite.
fn lost_race(id: &str) -> ApiError {
    ApiError::Conflict(format!("demand {id} was changed concurrently; reload it and try again"))
}

/// Applies a merge patch to editable demand of the caller's unit.
pub fn update(
    connection: &mut DbConnection,
    actor: &Actor,
    id: &str,
    scope: Option<&str>,
    if_match: Option<i64>,
    patch: &Value,
) -> Result<DemandRow, ApiError> {
    let row = find_visible(connection, id, scope)?;
    check_version(&row, if_match)?;
    let status = row.status()?;
    if !status.is_editable() {
        return Err(ApiError::Conflict(format!("demand {id} is {status} and can no longer be edited")));
    }
    let content = parse_patch(&row.content()?, patch).map_err(ApiError::Validation)?;
    let read_version = row.version;
    // The row as the update leaves it, so it need not be read back.
    let updated = DemandRow {
        spec: spec_text(&content.spec),
        cpv: content.spec.cpv().to_owned(),
        quantity: content.quantity,
        unit_price_chf: content.unit_price.0,
        needed_by: content.needed_by,
        budget_year: content.budget_year,
        delivery_site: content.delivery_site,
        justification: content.justification,
        version: read_version + 1,
        updated_at: now(),
        ..row
    };
    let changed = diesel::update(demands::table.find(id).filter(demands::version.eq(read_version)))
        .set((
            demands::spec.eq(&updated.spec),
            demands::cpv.eq(&updated.cpv),
            demands::quantity.eq(updated.quantity),
            demands::unit_price_chf.eq(updated.unit_price_chf),
            demands::needed_by.eq(updated.needed_by),
            demands::budget_year.eq(updated.budget_year),
            demands::delivery_site.eq(&updated.delivery_site),
            demands::justification.eq(&updated.justification),
            demands::version.eq(updated.version),
            demands::updated_at.eq(updated.updated_at),
        ))
        .execute(connection)?;
    if changed == 0 {
        return Err(lost_race(id));
    }
    let detail = json!({"patch": patch, "version": updated.version});
    audit::record(connection, actor, "demand.updated", "demand", id, &detail)?;
    Ok(updated)
}

/// Submits or withdraws demand of the caller's unit.
pub fn transition(
    connection: &mut DbConnection,
    actor: &Actor,
    id: &str,
    scope: Option<&str>,
    if_match: Option<i64>,
    transition: DemandTransition,
) -> Result<DemandRow, ApiError> {
    let row = find_visible(connection, id, scope)?;
    check_version(&row, if_match)?;
    let from = row.status()?;
    let to = transition.apply(from).map_err(ApiError::Conflict)?;
    let read_version = row.version;
    // The row as the update leaves it, so it need not be read back.
    let row = DemandRow { status: to.as_str().to_owned(), version: read_version + 1, updated_at: now(), ..row };
    let changed = diesel::update(demands::table.find(id).filter(demands::version.eq(read_version)))
        .set((
            demands::status.eq(&row.status),
            demands::version.eq(row.version),
            demands::updated_at.eq(row.updated_at),
        ))
        .execute(connection)?;
    if changed == 0 {
        return Err(lost_race(id));
    }
    let action = format!("demand.{}", transition.verb());
    audit::record(connection, actor, &action, "demand", id, &json!({"from": from, "to": to}))?;
    let event = match transition {
        DemandTransition::Submit => EventType::DemandSubmitted,
        DemandTransition::Withdraw => EventType::DemandWithdrawn,
    };
    webhooks::enqueue(connection, event, event_data(&row))?;
    Ok(row)
}
