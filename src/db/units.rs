//! Organisational units.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::units;
use super::{now, DbConnection};
use crate::domain::unit::{legal_entity_id, NewUnit};
use crate::domain::validation::FieldError;
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = units)]
pub struct UnitRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<String>,
    pub legal_entity_id: String,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
}

pub fn list(connection: &mut DbConnection) -> Result<Vec<UnitRow>, ApiError> {
    Ok(units::table.order(units::id.asc()).select(UnitRow::as_select()).load(connection)?)
}

pub fn find(connection: &mut DbConnection, id: &str) -> Result<Option<UnitRow>, ApiError> {
    Ok(units::table.find(id).select(UnitRow::as_select()).get_result(connection).optional()?)
}

pub fn count(connection: &mut DbConnection) -> Result<i64, ApiError> {
    Ok(units::table.count().get_result(connection)?)
}

/// Creates a unit under an existing parent; the legal entity follows from the parent.
pub fn create(connection: &mut DbConnection, actor: &Actor, new: &NewUnit) -> Result<UnitRow, ApiError> {
    if find(connection, &new.id)?.is_some() {
        return Err(ApiError::Conflict(format!("a unit with id {} already exists", new.id)));
    }
    let parent_entity = match &new.parent_id {
        None => None,
        Some(parent_id) => match find(connection, parent_id)? {
            Some(parent) => Some(parent.legal_entity_id),
            None => {
                return Err(ApiError::Validation(vec![FieldError::new(
                    "parent_id",
                    format!("no unit with id {parent_id}"),
                )]))
            }
        },
    };
    let row = UnitRow {
        id: new.id.clone(),
        name: new.name.clone(),
        kind: new.kind.as_str().to_owned(),
        parent_id: new.parent_id.clone(),
        legal_entity_id: legal_entity_id(&new.id, new.kind, parent_entity.as_deref()),
        active: true,
        version: 1,
        created_at: now(),
    };
    diesel::insert_into(units::table).values(&row).execute(connection)?;
    let detail = json!({"name": row.name, "kind": row.kind, "parent_id": row.parent_id});
    audit::record(connection, actor, "unit.created", "unit", &row.id, &detail)?;
    Ok(row)
}
