//! Webhook subscriptions, the outbox, delivery jobs and attempts. Events are written in the
//! transaction of the change that caused them, so none is lost when a process dies.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{json, Value};

use super::schema::{webhook_attempts, webhook_events, webhook_jobs, webhooks};
use super::{new_id, now, DbConnection};
use crate::domain::webhooks::{EventType, NewSubscription};
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    pub events: String,
    pub secret: String,
    pub active: bool,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

impl WebhookRow {
    pub fn events(&self) -> Vec<String> {
        serde_json::from_str(&self.events).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_attempts)]
pub struct AttemptRow {
    pub id: String,
    pub job_id: String,
    pub webhook_id: String,
    pub event_id: String,
    pub attempt: i32,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = webhook_jobs)]
struct NewJob {
    id: String,
    webhook_id: String,
    event_id: String,
    status: &'static str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    locked_until: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}

pub fn create(
    connection: &mut DbConnection,
    subscription: &NewSubscription,
    secret: String,
    created_by: &str,
) -> Result<WebhookRow, ApiError> {
    let events: Vec<&str> = subscription.events.iter().map(|event| event.as_str()).collect();
    let row = WebhookRow {
        id: new_id(),
        url: subscription.url.clone(),
        events: serde_json::to_string(&events).map_err(ApiError::internal)?,
        secret,
        active: true,
        created_by: created_by.to_owned(),
        created_at: now(),
    };
    diesel::insert_into(webhooks::table).values(&row).execute(connection)?;
    Ok(row)
}

/// Subscriptions the caller may see: an admin sees all, anyone else those they created.
pub fn list(connection: &mut DbConnection, owner: Option<&str>) -> Result<Vec<WebhookRow>, ApiError> {
    let mut query = webhooks::table.into_boxed();
    if let Some(owner) = owner {
        query = query.filter(webhooks::created_by.eq(owner.to_owned()));
    }
    Ok(query
        .order((webhooks::created_at.asc(), webhooks::id.asc()))
        .select(WebhookRow::as_select())
        .load(connection)?)
}

pub fn find(connection: &mut DbConnection, id: &str, owner: Option<&str>) -> Result<WebhookRow, ApiError> {
    let row: Option<WebhookRow> =
        webhooks::table.find(id).select(WebhookRow::as_select()).get_result(connection).optional()?;
    row.filter(|row| owner.is_none_or(|owner| owner == row.created_by))
        .ok_or_else(|| ApiError::not_found("webhook subscription", id))
}

/// Removes a subscription with its pending jobs and recorded attempts.
pub fn delete(connection: &mut DbConnection, id: &str, owner: Option<&str>) -> Result<(), ApiError> {
    find(connection, id, owner)?;
    let jobs = webhook_jobs::table.filter(webhook_jobs::webhook_id.eq(id)).select(webhook_jobs::id);
    diesel::delete(webhook_attempts::table.filter(webhook_attempts::job_id.eq_any(jobs))).execute(connection)?;
    diesel::delete(webhook_jobs::table.filter(webhook_jobs::webhook_id.eq(id))).execute(connection)?;
    diesel::delete(webhooks::table.find(id)).execute(connection)?;
    Ok(())
}

/// Writes an event to the outbox with one delivery job per active subscription to it. Call
/// inside the transaction of the change the event reports.
pub fn enqueue(connection: &mut DbConnection, event: EventType, data: Value) -> Result<(), ApiError> {
    enqueue_all(connection, vec![(event, data)])
}

/// `enqueue` for many events, reading the subscriptions once.
pub fn enqueue_all(connection: &mut DbConnection, events: Vec<(EventType, Value)>) -> Result<(), ApiError> {
    let subscriptions: Vec<WebhookRow> =
        webhooks::table.filter(webhooks::active.eq(true)).select(WebhookRow::as_select()).load(connection)?;
    if subscriptions.is_empty() {
        return Ok(());
    }
    for (event, data) in events {
        let subscribers: Vec<String> = subscriptions
            .iter()
            .filter(|row| row.events().iter().any(|name| name == event.as_str()))
            .map(|row| row.id.clone())
            .collect();
        if !subscribers.is_empty() {
            write_event(connection, event, data, subscribers)?;
        }
    }
    Ok(())
}

fn write_event(
    connection: &mut DbConnection,
    event: EventType,
    data: Value,
    subscribers: Vec<String>,
) -> Result<(), ApiError> {
    let at = now();
    let event_id = format!("evt_{}", uuid::Uuid::new_v4().simple());
    let payload = json!({
        "type": event.as_str(),
        "timestamp": at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "data": data,
    });
    diesel::insert_into(webhook_events::table)
        .values((
            webhook_events::id.eq(&event_id),
            webhook_events::event_type.eq(event.as_str()),
            webhook_events::payload.eq(payload.to_string()),
            webhook_events::created_at.eq(at),
        ))
        .execute(connection)?;
    let jobs: Vec<NewJob> = subscribers
        .into_iter()
        .map(|webhook_id| NewJob {
            // The `webhook-id` header: the same on every retry of this delivery.
            id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
            webhook_id,
            event_id: event_id.clone(),
            status: "pending",
            attempts: 0,
            next_attempt_at: at,
            locked_until: None,
            created_at: at,
        })
        .collect();
    super::insert_all!(connection, webhook_jobs::table, jobs);
    Ok(())
}

/// A delivery the worker has claimed.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub job_id: String,
    pub webhook_id: String,
    pub event_id: String,
    pub url: String,
    pub secret: String,
    pub payload: String,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
}

type ClaimRow = (String, String, String, i32, NaiveDateTime, String, String, String);

/// Claims up to `limit` due deliveries for `lease`: no other worker, in this process or
/// another, takes them until the lease runs out (then they are retried: at least once).
pub fn claim_due(connection: &mut DbConnection, limit: i64, lease: Duration) -> Result<Vec<Claimed>, ApiError> {
    let current = now();
    let due = webhook_jobs::table
        .filter(webhook_jobs::status.eq("pending"))
        .filter(webhook_jobs::next_attempt_at.le(current))
        .filter(webhook_jobs::locked_until.is_null().or(webhook_jobs::locked_until.lt(current)))
        .order(webhook_jobs::next_attempt_at.asc())
        .limit(limit)
        .select(webhook_jobs::id);
    let ids: Vec<String> = match connection {
        // Rows another process has locked are skipped, not waited for.
        DbConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
        // SQLite has one writer at a time: the transaction itself excludes other workers.
        DbConnection::Sqlite(sqlite) => due.load(sqlite)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(webhook_jobs::table.filter(webhook_jobs::id.eq_any(&ids)))
        .set(webhook_jobs::locked_until.eq(Some(current + lease)))
        .execute(connection)?;
    let rows: Vec<ClaimRow> = webhook_jobs::table
        .inner_join(webhooks::table)
        .inner_join(webhook_events::table)
        .filter(webhook_jobs::id.eq_any(&ids))
        .select((
            webhook_jobs::id,
            webhook_jobs::webhook_id,
            webhook_jobs::event_id,
            webhook_jobs::attempts,
            webhook_jobs::created_at,
            webhooks::url,
            webhooks::secret,
            webhook_events::payload,
        ))
        .load(connection)?;
    Ok(rows
        .into_iter()
        .map(|(job_id, webhook_id, event_id, attempts, created_at, url, secret, payload)| Claimed {
            job_id,
            webhook_id,
            event_id,
            url,
            secret,
            payload,
            attempts,
            created_at,
        })
        .collect())
}

/// Records one attempt and schedules the next one, or ends the job.
pub fn record_attempt(
    connection: &mut DbConnection,
    job: &Claimed,
    status_code: Option<u16>,
    error: Option<String>,
    retry_in: Option<Duration>,
) -> Result<(), ApiError> {
    let at = now();
    let attempt = job.attempts + 1;
    diesel::insert_into(webhook_attempts::table)
        .values(AttemptRow {
            id: new_id(),
            job_id: job.job_id.clone(),
            webhook_id: job.webhook_id.clone(),
            event_id: job.event_id.clone(),
            attempt,
            status_code: status_code.map(i32::from),
            error,
            at,
        })
        .execute(connection)?;
    let delivered = status_code.is_some_and(|code| (200..300).contains(&code));
    let (status, next) = match (delivered, retry_in) {
        (true, _) => ("delivered", at),
        (false, Some(delay)) => ("pending", at + delay),
        (false, None) => ("failed", at),
    };
    diesel::update(webhook_jobs::table.find(&job.job_id))
        .set((
            webhook_jobs::status.eq(status),
            webhook_jobs::attempts.eq(attempt),
            webhook_jobs::next_attempt_at.eq(next),
            webhook_jobs::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(connection)?;
    Ok(())
}

pub fn attempts(
    connection: &mut DbConnection,
    webhook_id: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AttemptRow>, i64), ApiError> {
    let filtered = || webhook_attempts::table.filter(webhook_attempts::webhook_id.eq(webhook_id.to_owned()));
    let total = filtered().count().get_result(connection)?;
    let rows = filtered()
        .order((webhook_attempts::at.asc(), webhook_attempts::attempt.asc()))
        .limit(limit)
        .offset(offset)
        .select(AttemptRow::as_select())
        .load(connection)?;
    Ok((rows, total))
}

/// Jobs still to deliver and jobs given up, for the metrics.
pub fn backlog(connection: &mut DbConnection) -> Result<(i64, i64), ApiError> {
    let pending = webhook_jobs::table.filter(webhook_jobs::status.eq("pending")).count().get_result(connection)?;
    let failed = webhook_jobs::table.filter(webhook_jobs::status.eq("failed")).count().get_result(connection)?;
    Ok((pending, failed))
}
