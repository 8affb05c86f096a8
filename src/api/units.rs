//! `/api/v1/units`: the organisational units that report demand.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::demands::rfc3339;
use super::support::{actor, created_response, idempotent_request, stored_created};
use crate::auth::{AuthUser, Role};
use crate::db::units::{self, UnitRow};
use crate::db::{idempotency, Database};
use crate::domain::unit::{parse_new_unit, UnitKind};
use crate::error::{ApiError, Problem};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "buwd-vif", "name": "Verkehr und Infrastruktur (vif)", "kind": "office",
    "parent_id": "buwd", "legal_entity_id": "lu", "active": true, "version": 1,
    "created_at": "2026-11-23T17:05:00Z"
}))]
pub struct UnitView {
    pub id: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<String>,
    /// The contracting authority the unit belongs to: itself when outsourced or at the top,
    /// otherwise its parent's.
    pub legal_entity_id: String,
    pub active: bool,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
}

impl UnitView {
    fn from_row(row: UnitRow) -> Result<UnitView, ApiError> {
        let kind = UnitKind::parse(&row.kind)
            .ok_or_else(|| ApiError::internal(format!("unit {} has unknown kind", row.id)))?;
        Ok(UnitView {
            id: row.id,
            name: row.name,
            kind,
            parent_id: row.parent_id,
            legal_entity_id: row.legal_entity_id,
            active: row.active,
            version: row.version,
            created_at: rfc3339(row.created_at),
        })
    }
}

/// (Documentation only: bodies are read field by field to report every error at once.)
#[derive(Debug, ToSchema)]
#[schema(example = json!({"id": "buwd-vif", "name": "Verkehr und Infrastruktur (vif)", "kind": "office", "parent_id": "buwd"}))]
#[allow(dead_code)]
pub struct CreateUnit {
    /// A slug: lowercase letters, digits and single hyphens.
    id: String,
    name: String,
    kind: UnitKind,
    /// Must exist; omit for a top-level unit (the canton, an outsourced organisation).
    parent_id: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnitList {
    pub items: Vec<UnitView>,
}

/// List units
#[utoipa::path(
    tag = "units",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every unit, by id", body = UnitList),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units")]
pub async fn list_units(_any_role: AuthUser, database: web::Data<Database>) -> Result<HttpResponse, ApiError> {
    let rows = database.read(units::list).await?;
    let items = rows.into_iter().map(UnitView::from_row).collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(UnitList { items }))
}

/// Get one unit
#[utoipa::path(
    tag = "units",
    params(("id" = String, Path, description = "Unit id, a slug")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The unit", body = UnitView),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/units/{id}")]
pub async fn get_unit(
    _any_role: AuthUser,
    database: web::Data<Database>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let lookup = id.clone();
    let row = database.read(move |conn| units::find(conn, &lookup)).await?;
    let row = row.ok_or_else(|| ApiError::not_found("unit", id))?;
    Ok(HttpResponse::Ok().json(UnitView::from_row(row)?))
}

/// Create a unit (admin)
#[utoipa::path(
    tag = "units",
    request_body = CreateUnit,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Makes retries safe")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = UnitView,
         headers(("Location" = String, description = "The new unit's URL"))),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins manage units", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The id is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, all named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/units")]
pub async fn create_unit(
    user: AuthUser,
    database: web::Data<Database>,
    request: HttpRequest,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let body = body.into_inner();
    let new = parse_new_unit(&body).map_err(ApiError::Validation)?;
    let idempotency = idempotent_request(&request, &user, "create_unit", &body)?;
    let actor = actor(&user);
    let outcome = database
        .write(move |conn| {
            idempotency::once(conn, idempotency.as_ref(), |conn| {
                let view = UnitView::from_row(units::create(conn, &actor, &new)?)?;
                stored_created(format!("/api/v1/units/{}", view.id), &view)
            })
        })
        .await?;
    Ok(created_response(outcome))
}
