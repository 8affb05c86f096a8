//! The audit log: who changed what, written in the same transaction as the change.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::audit_log;
use super::{new_id, now, DbConnection};
use crate::error::ApiError;

/// Who acted, as the audit log records it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub sub: String,
    pub role: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor: String,
    pub actor_role: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub detail: String,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewAuditRow<'a> {
    id: String,
    at: NaiveDateTime,
    actor: &'a str,
    actor_role: &'a str,
    action: &'a str,
    entity_type: &'a str,
    entity_id: &'a str,
    detail: String,
}

/// Appends one entry; call it inside the transaction of the change it records.
pub fn record(
    connection: &mut DbConnection,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    detail: &serde_json::Value,
) -> Result<(), ApiError> {
    diesel::insert_into(audit_log::table)
        .values(NewAuditRow {
            id: new_id(),
            at: now(),
            actor: &actor.sub,
            actor_role: &actor.role,
            action,
            entity_type,
            entity_id,
            detail: detail.to_string(),
        })
        .execute(connection)?;
    Ok(())
}

/// One entry of a batch written by `record_all`.
pub struct Entry {
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: String,
    pub detail: serde_json::Value,
}

/// Appends many entries by one actor at once.
pub fn record_all(connection: &mut DbConnection, actor: &Actor, entries: &[Entry]) -> Result<(), ApiError> {
    let at = now();
    let rows: Vec<NewAuditRow> = entries
        .iter()
        .map(|entry| NewAuditRow {
            id: new_id(),
            at,
            actor: &actor.sub,
            actor_role: &actor.role,
            action: entry.action,
            entity_type: entry.entity_type,
            entity_id: &entry.entity_id,
            detail: entry.detail.to_string(),
        })
        .collect();
    super::insert_all!(connection, audit_log::table, rows);
    Ok(())
}

/// Entries oldest first, optionally for one entity, with the total count.
pub fn list(
    connection: &mut DbConnection,
    entity_id: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditRow>, i64), ApiError> {
    let filtered = || {
        let mut query = audit_log::table.into_boxed();
        if let Some(entity_id) = entity_id {
            query = query.filter(audit_log::entity_id.eq(entity_id.to_owned()));
        }
        query
    };
    let total = filtered().count().get_result(connection)?;
    let rows = filtered()
        .order(audit_log::seq.asc())
        .limit(limit)
        .offset(offset)
        .select(AuditRow::as_select())
        .load(connection)?;
    Ok((rows, total))
}
