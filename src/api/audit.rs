//! `/api/v1/audit`: who changed what and when.

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::demands::rfc3339;
use super::support::page;
use crate::auth::{AuthUser, Role};
use crate::db::{audit, Database};
use crate::error::{ApiError, Problem};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "5d0e2c55-2f0b-4a51-b3c9-8c7f0f8d6e21", "at": "2026-11-23T17:05:00Z",
    "actor": "anna.muster", "actor_role": "unit", "action": "demand.submitted",
    "entity_type": "demand", "entity_id": "0b6f3c1e-8f7a-4e55-9a43-3d1c2b9f0a11",
    "detail": {"from": "draft", "to": "submitted"}
}))]
pub struct AuditEntryView {
    pub id: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: String,
    /// The token's `sub`.
    pub actor: String,
    pub actor_role: String,
    /// `unit.created`, `demand.created`, `demand.updated`, `demand.submitted`, `demand.withdrawn`, …
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    #[schema(value_type = Object)]
    pub detail: Value,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryView>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries about this unit, demand or proposal.
    entity_id: Option<String>,
    /// 1 to 500, default 50.
    limit: Option<i64>,
    /// Default 0.
    offset: Option<i64>,
}

/// Read the audit log
///
/// Oldest first; every change of state is here, written in the same transaction as the change.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of entries", body = AuditPage),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Officers and admins only", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "limit or offset out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit")]
pub async fn list_audit(
    user: AuthUser,
    database: web::Data<Database>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Officer, Role::Admin])?;
    let query = query.into_inner();
    let (limit, offset) = page(query.limit, query.offset)?;
    let entity_id = query.entity_id;
    let (rows, total) = database.read(move |conn| audit::list(conn, entity_id.as_deref(), limit, offset)).await?;
    let items = rows
        .into_iter()
        .map(|row| AuditEntryView {
            id: row.id,
            at: rfc3339(row.at),
            actor: row.actor,
            actor_role: row.actor_role,
            action: row.action,
            entity_type: row.entity_type,
            entity_id: row.entity_id,
            detail: serde_json::from_str(&row.detail).unwrap_or(Value::Null),
        })
        .collect();
    Ok(HttpResponse::Ok().json(AuditPage { items, total, limit, offset }))
}
