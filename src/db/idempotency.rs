//! Idempotency keys: a retried create answers the first result and creates nothing. The
//! keys live in the database so that every instance sees them.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::idempotency_keys;
use super::{now, DbConnection};
use crate::error::ApiError;

/// How long a key is remembered.
pub const RETENTION_HOURS: i64 = 24;

/// A client's key, scoped to the caller and operation, with a hash of its body.
#[derive(Debug, Clone)]
pub struct IdempotentRequest {
    pub scope: String,
    pub key: String,
    pub request_hash: String,
}

/// The answer to a create, as first given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub location: String,
    pub body: String,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
struct KeyRow {
    scope: String,
    key: String,
    request_hash: String,
    status_code: i32,
    location: String,
    body: String,
    created_at: NaiveDateTime,
}

/// Whether the answer is new or the replay of an earlier one.
pub enum Outcome {
    Created(StoredResponse),
    Replayed(StoredResponse),
}

/// Runs `create` once per key within the retention period; call inside a transaction.
pub fn once(
    connection: &mut DbConnection,
    request: Option<&IdempotentRequest>,
    create: impl FnOnce(&mut DbConnection) -> Result<StoredResponse, ApiError>,
) -> Result<Outcome, ApiError> {
    let Some(request) = request else {
        return create(connection).map(Outcome::Created);
    };
    let current = now();
    let key = idempotency_keys::table.find((&request.scope, &request.key));
    if let Some(row) = key.select(KeyRow::as_select()).get_result(connection).optional()? {
        if row.created_at > current - Duration::hours(RETENTION_HOURS) {
            if row.request_hash != request.request_hash {
                return Err(ApiError::Conflict(
                    "this Idempotency-Key was already used with a different request body".to_owned(),
                ));
            }
            return Ok(Outcome::Replayed(StoredResponse {
                status: u16::try_from(row.status_code).unwrap_or(201),
                location: row.location,
                body: row.body,
            }));
        }
        diesel::delete(key).execute(connection)?;
    }
    let response = create(connection)?;
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values(KeyRow {
            scope: request.scope.clone(),
            key: request.key.clone(),
            request_hash: request.request_hash.clone(),
            status_code: i32::from(response.status),
            location: response.location.clone(),
            body: response.body.clone(),
            created_at: current,
        })
        .execute(connection);
    match inserted {
        Ok(_) => Ok(Outcome::Created(response)),
        // A concurrent request with the same key committed first; this one rolls back.
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            Err(ApiError::Conflict(
                "a request with this Idempotency-Key is in progress; retry to get its result".to_owned(),
            ))
        }
        Err(error) => Err(error.into()),
    }
}

/// Forgets keys past the retention period.
pub fn purge_expired(connection: &mut DbConnection) -> Result<usize, ApiError> {
    let cutoff = now() - Duration::hours(RETENTION_HOURS);
    Ok(diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.le(cutoff))).execute(connection)?)
}
