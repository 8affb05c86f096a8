//! Request plumbing shared by the handlers: paging, `If-Match`, `Idempotency-Key`, the 201
//! answer, and the audit actor.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::auth::AuthUser;
use crate::db::audit::Actor;
use crate::db::idempotency::{IdempotentRequest, Outcome, StoredResponse};
use crate::domain::validation::FieldError;
use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// A CSV download is for spreadsheets: one request may take up to this many rows.
pub const CSV_MAX_LIMIT: i64 = 10_000;

/// Checks `limit` (1..=500, default 50) and `offset` (≥ 0, default 0).
pub fn page(limit: Option<i64>, offset: Option<i64>) -> Result<(i64, i64), ApiError> {
    page_within(limit, offset, DEFAULT_LIMIT, MAX_LIMIT)
}

/// `page` for a listing that may answer CSV: a CSV answer takes up to 10 000 rows by default.
pub fn page_for(request: &HttpRequest, limit: Option<i64>, offset: Option<i64>) -> Result<(i64, i64), ApiError> {
    if wants_csv(request) {
        page_within(limit, offset, CSV_MAX_LIMIT, CSV_MAX_LIMIT)
    } else {
        page(limit, offset)
    }
}

fn page_within(limit: Option<i64>, offset: Option<i64>, default: i64, max: i64) -> Result<(i64, i64), ApiError> {
    let mut errors = Vec::new();
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        errors.push(FieldError::new("limit", format!("must be between 1 and {max}")));
    }
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        errors.push(FieldError::new("offset", "must not be negative"));
    }
    if errors.is_empty() {
        Ok((limit, offset))
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The version an `If-Match` header demands: `"3"`, `W/"3"` or `3`; `*` matches any.
pub fn if_match(request: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = request.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    let bare = text.trim_start_matches("W/").trim_matches('"');
    bare.parse::<i64>()
        .map(Some)
        .map_err(|_| ApiError::BadRequest(format!("If-Match must be a version in quotes, like \"3\"; got {text:?}")))
}

pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// The client's `Idempotency-Key` for `operation`, scoped to the caller, with the body's hash.
pub fn idempotent_request(
    request: &HttpRequest,
    user: &AuthUser,
    operation: &str,
    body: &Value,
) -> Result<Option<IdempotentRequest>, ApiError> {
    let Some(value) = request.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key =
        value.to_str().ok().map(str::trim).filter(|key| (1..=255).contains(&key.len())).ok_or_else(|| {
            ApiError::BadRequest("Idempotency-Key must be 1 to 255 visible ASCII characters".to_owned())
        })?;
    // serde_json's map is ordered, so equal JSON in another layout hashes the same.
    let hash = Sha256::digest(body.to_string().as_bytes());
    Ok(Some(IdempotentRequest {
        scope: format!("{}|{}|{operation}", user.sub, user.unit.as_deref().unwrap_or("")),
        key: key.to_owned(),
        request_hash: crate::to_hex(&hash),
    }))
}

/// A 201 answer for a new resource at `location`.
pub fn stored_created(location: String, view: &impl Serialize) -> Result<StoredResponse, ApiError> {
    let body = serde_json::to_string(view).map_err(ApiError::internal)?;
    Ok(StoredResponse { status: 201, location, body })
}

/// Renders a create, marking replays so clients can tell.
pub fn created_response(outcome: Outcome) -> HttpResponse {
    let (stored, replayed) = match outcome {
        Outcome::Created(stored) => (stored, false),
        Outcome::Replayed(stored) => (stored, true),
    };
    let status = actix_web::http::StatusCode::from_u16(stored.status).unwrap_or(actix_web::http::StatusCode::CREATED);
    let mut response = HttpResponse::build(status);
    response.content_type("application/json").insert_header((header::LOCATION, stored.location));
    if replayed {
        response.insert_header(("idempotent-replayed", HeaderValue::from_static("true")));
    }
    response.body(stored.body)
}

/// Whether the client asked for CSV (`Accept: text/csv`).
pub fn wants_csv(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"))
}

/// A CSV answer with a header row; `X-Total-Count` tells how many rows match in all.
pub fn csv_response(columns: &[&str], rows: Vec<Vec<String>>, total: i64) -> Result<HttpResponse, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(columns).map_err(ApiError::internal)?;
    for row in rows {
        writer.write_record(&row).map_err(ApiError::internal)?;
    }
    let bytes = writer.into_inner().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("x-total-count", total.to_string()))
        .body(bytes))
}

pub fn actor(user: &AuthUser) -> Actor {
    Actor { sub: user.sub.clone(), role: user.role.as_str().to_owned() }
}
