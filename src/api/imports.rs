//! `POST /api/v1/demands/import`: many demands at once, from JSON or CSV, all or nothing.

use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::demands::CreateDemand;
use super::support::{actor, created_response, idempotent_request, stored_created};
use crate::auth::{AuthUser, Role};
use crate::db::{demands, idempotency, Database};
use crate::domain::import::{csv_rows, json_rows, parse_rows, MAX_ROWS};
use crate::domain::validation::FieldError;
use crate::error::{ApiError, Problem};

/// Imports are larger than other bodies: 10 000 rows of JSON fit comfortably.
pub const IMPORT_BODY_LIMIT: usize = 32 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"imported": 2, "ids": ["0b6f3c1e-8f7a-4e55-9a43-3d1c2b9f0a11", "5d0e2c55-2f0b-4a51-b3c9-8c7f0f8d6e21"]}))]
pub struct ImportResult {
    pub imported: usize,
    /// The new demands' ids, in the order of the rows.
    pub ids: Vec<String>,
}

/// Reads the whole body, refusing it with 413 past `limit` bytes.
pub async fn read_body(mut payload: web::Payload, limit: usize) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| ApiError::BadRequest(format!("unreadable body: {error}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(format!("the body is larger than the limit of {limit} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Import demand
///
/// A JSON array of demand bodies (as for `POST /api/v1/demands`) or `text/csv` with a header row
/// of demand fields and the spec fields as flat columns (`category`, `quantity`,
/// `unit_price_chf`, `needed_by`, `form_factor`, `ram_gb`, `pages_per_minute`, `drive`, …;
/// blanks for other categories' fields). At most 10 000 rows. All or nothing: one bad row
/// answers 422 with an `errors` entry per bad row and field (`row` as in the file: the CSV
/// header is row 1, a JSON array's first element row 1) and writes nothing.
#[utoipa::path(
    tag = "demands",
    request_body(
        description = "A JSON array of demand bodies, or CSV",
        content(
            (Vec<CreateDemand> = "application/json"),
            (String = "text/csv", example = "category,quantity,unit_price_chf,needed_by,form_factor,os,ram_gb,storage_gb\npc,40,1400,2027-03-31,laptop,windows,16,512\n"),
        )
    ),
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Makes retries safe")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Every row imported", body = ImportResult),
        (status = 400, description = "Malformed JSON or an unsupported content type", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Units and admins only", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "More than 10 000 rows, or too large a body", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad rows, each row and field named; nothing imported", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/demands/import")]
pub async fn import_demands(
    user: AuthUser,
    database: web::Data<Database>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Unit, Role::Admin])?;
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let body = read_body(payload, IMPORT_BODY_LIMIT).await?;
    let (rows, identity) = if content_type.starts_with("text/csv") {
        (csv_rows(&body).map_err(ApiError::Validation)?, Value::String(String::from_utf8_lossy(&body).into_owned()))
    } else if content_type.starts_with("application/json") {
        let value: Value =
            serde_json::from_slice(&body).map_err(|error| ApiError::BadRequest(format!("malformed JSON: {error}")))?;
        (json_rows(value.clone()).map_err(ApiError::Validation)?, value)
    } else {
        return Err(ApiError::BadRequest("the Content-Type must be application/json or text/csv".to_owned()));
    };
    if rows.len() > MAX_ROWS {
        return Err(ApiError::PayloadTooLarge(format!("{} rows; an import takes at most {MAX_ROWS}", rows.len())));
    }
    let parsed = parse_rows(&rows).map_err(ApiError::Validation)?;
    let mut owned = Vec::with_capacity(parsed.len());
    let mut errors = Vec::new();
    for (row, new) in parsed {
        let unit_id = match (user.scoped_unit(), new.unit_id) {
            (Some(own), Some(named)) if own != named => {
                errors.push(
                    FieldError::new("unit_id", format!("a token of unit {own} imports only its own demand"))
                        .at_row(row),
                );
                continue;
            }
            (Some(own), _) => own.to_owned(),
            (None, Some(named)) => named,
            (None, None) => {
                errors.push(FieldError::new("unit_id", "is required for this role").at_row(row));
                continue;
            }
        };
        owned.push((row, unit_id, new.status, new.content));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let idempotency = idempotent_request(&request, &user, "import_demands", &identity)?;
    let actor = actor(&user);
    let outcome = database
        .write(move |conn| {
            idempotency::once(conn, idempotency.as_ref(), |conn| {
                let ids = demands::import(conn, &actor, &owned)?;
                stored_created("/api/v1/demands".to_owned(), &ImportResult { imported: ids.len(), ids })
            })
        })
        .await?;
    Ok(created_response(outcome))
}
