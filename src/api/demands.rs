//! `/api/v1/demands`: units' planned purchases.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::support::{
    actor, created_response, csv_response, etag, idempotent_request, if_match, page_for, stored_created, wants_csv,
};
use crate::auth::{AuthUser, Role};
use crate::db::demands::{self, DemandFilter, DemandRow};
use crate::db::{idempotency, Database};
use crate::domain::demand::{parse_new, DemandStatus, DemandTransition};
use crate::domain::import::csv_columns;
use crate::domain::spec::{Category, Spec};
use crate::domain::validation::FieldError;
use crate::error::{ApiError, Problem};

/// A planned purchase as the API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0b6f3c1e-8f7a-4e55-9a43-3d1c2b9f0a11", "unit_id": "buwd-vif", "category": "pc",
    "spec": {"form_factor": "laptop", "os": "windows", "ram_gb": 16, "storage_gb": 512},
    "cpv": "30213100-6", "quantity": 40, "unit_price_chf": 1400, "estimated_value_chf": 56000,
    "needed_by": "2027-03-31", "budget_year": 2027, "delivery_site": "Arsenalstrasse 43, Kriens",
    "justification": "Replacement of 2021 laptops", "status": "submitted", "proposal_id": null,
    "version": 1, "created_at": "2026-11-23T17:05:00Z", "updated_at": "2026-11-23T17:05:00Z"
}))]
pub struct DemandView {
    pub id: String,
    pub unit_id: String,
    pub category: Category,
    #[schema(value_type = Spec)]
    pub spec: Value,
    /// CPV 2008 code, derived from category and spec.
    pub cpv: String,
    pub quantity: i64,
    pub unit_price_chf: i64,
    /// `quantity` × `unit_price_chf`.
    pub estimated_value_chf: i64,
    pub needed_by: NaiveDate,
    pub budget_year: i32,
    pub delivery_site: Option<String>,
    pub justification: Option<String>,
    pub status: DemandStatus,
    pub proposal_id: Option<String>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: String,
}

pub fn rfc3339(instant: NaiveDateTime) -> String {
    instant.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl DemandView {
    pub fn from_row(row: DemandRow) -> Result<DemandView, ApiError> {
        let category = Category::parse(&row.category)
            .ok_or_else(|| ApiError::internal(format!("demand {} has unknown category", row.id)))?;
        let status = row.status()?;
        let spec = serde_json::from_str(&row.spec).map_err(ApiError::internal)?;
        Ok(DemandView {
            estimated_value_chf: row.quantity.saturating_mul(row.unit_price_chf),
            id: row.id,
            unit_id: row.unit_id,
            category,
            spec,
            cpv: row.cpv,
            quantity: row.quantity,
            unit_price_chf: row.unit_price_chf,
            needed_by: row.needed_by,
            budget_year: row.budget_year,
            delivery_site: row.delivery_site,
            justification: row.justification,
            status,
            proposal_id: row.proposal_id,
            version: row.version,
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
        })
    }
}

/// The body of a new demand. Unknown fields are rejected; every bad field is named.
/// (Documentation only: bodies are read field by field to report every error at once.)
#[derive(Debug, ToSchema)]
#[schema(example = json!({
    "category": "pc",
    "spec": {"form_factor": "laptop", "os": "windows", "ram_gb": 16, "storage_gb": 512, "screen_inches": 14.0},
    "quantity": 40, "unit_price_chf": 1400, "needed_by": "2027-03-31",
    "delivery_site": "Arsenalstrasse 43, Kriens", "justification": "Replacement of 2021 laptops"
}))]
#[allow(dead_code)]
pub struct CreateDemand {
    /// Required for admins; a unit token may omit it (its own unit) but not name another.
    #[schema(example = "buwd-vif")]
    unit_id: Option<String>,
    category: Category,
    /// Shaped by `category`.
    spec: Spec,
    #[schema(minimum = 1, maximum = 100_000)]
    quantity: i64,
    /// Estimated price per piece in whole CHF, excluding VAT.
    #[schema(minimum = 1, maximum = 10_000_000)]
    unit_price_chf: i64,
    needed_by: NaiveDate,
    /// Defaults to the year of `needed_by`; at most one year from it.
    budget_year: Option<i32>,
    #[schema(max_length = 200)]
    delivery_site: Option<String>,
    #[schema(max_length = 2000)]
    justification: Option<String>,
    /// `draft` or `submitted` (the default).
    status: Option<DemandStatus>,
}

/// A JSON merge patch (RFC 7396) of a demand: only the fields given change, `null` clears an
/// optional one, and `spec` merges field by field. (Documentation only.)
#[derive(Debug, ToSchema)]
#[schema(example = json!({"quantity": 45, "spec": {"ram_gb": 32}}))]
#[allow(dead_code)]
pub struct UpdateDemand {
    #[schema(value_type = Object)]
    spec: Option<Value>,
    quantity: Option<i64>,
    unit_price_chf: Option<i64>,
    needed_by: Option<NaiveDate>,
    budget_year: Option<i32>,
    delivery_site: Option<String>,
    justification: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DemandQuery {
    /// Only this unit's demand (a unit token always sees only its own).
    unit_id: Option<String>,
    category: Option<Category>,
    status: Option<DemandStatus>,
    budget_year: Option<i32>,
    /// 1 to 500, default 50.
    limit: Option<i64>,
    /// Default 0.
    offset: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DemandPage {
    pub items: Vec<DemandView>,
    /// All matching demand, not only this page.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

const CSV_FIELDS: &[&str] = &[
    "id",
    "unit_id",
    "category",
    "cpv",
    "quantity",
    "unit_price_chf",
    "estimated_value_chf",
    "needed_by",
    "budget_year",
    "status",
    "proposal_id",
    "delivery_site",
    "justification",
];

/// The columns of a CSV answer: the demand's fields, then the spec's fields flat, as an
/// import takes them.
fn demand_csv_columns() -> Vec<&'static str> {
    let spec_columns = csv_columns().into_iter().filter(|column| !CSV_FIELDS.contains(column) && *column != "unit_id");
    CSV_FIELDS.iter().copied().chain(spec_columns).collect()
}

fn demand_csv_row(columns: &[&str], view: &DemandView) -> Vec<String> {
    let record = serde_json::to_value(view).unwrap_or_default();
    columns
        .iter()
        .map(|&column| match record.get(column).or_else(|| view.spec.get(column)) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
        })
        .collect()
}

const READERS: &[Role] = &[Role::Unit, Role::Officer, Role::Integration, Role::Admin];

/// List demand
///
/// Officers, integrations and admins see all units; a unit token sees its own unit only.
#[utoipa::path(
    tag = "demands",
    params(DemandQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of demand, oldest first; with `Accept: text/csv` a CSV file \
(up to 10 000 rows, spec fields as flat columns, `X-Total-Count` header)",
         content((DemandPage = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "limit or offset out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/demands")]
pub async fn list_demands(
    user: AuthUser,
    database: web::Data<Database>,
    request: HttpRequest,
    query: web::Query<DemandQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(READERS)?;
    let query = query.into_inner();
    let (limit, offset) = page_for(&request, query.limit, query.offset)?;
    let mut filter = DemandFilter {
        unit_id: query.unit_id,
        category: query.category,
        status: query.status,
        budget_year: query.budget_year,
    };
    if let Some(own) = user.scoped_unit() {
        if filter.unit_id.as_deref().is_some_and(|asked| asked != own) {
            return Ok(HttpResponse::Ok().json(DemandPage { items: Vec::new(), total: 0, limit, offset }));
        }
        filter.unit_id = Some(own.to_owned());
    }
    let (rows, total) = database.read(move |conn| demands::list(conn, &filter, limit, offset)).await?;
    let items: Vec<DemandView> = rows.into_iter().map(DemandView::from_row).collect::<Result<_, _>>()?;
    if wants_csv(&request) {
        let columns = demand_csv_columns();
        return csv_response(&columns, items.iter().map(|view| demand_csv_row(&columns, view)).collect(), total);
    }
    Ok(HttpResponse::Ok().json(DemandPage { items, total, limit, offset }))
}

/// Create demand
///
/// Answers 201 with `Location`. With an `Idempotency-Key` header, repeating the same request
/// within 24 h answers the first result again and creates nothing.
#[utoipa::path(
    tag = "demands",
    request_body = CreateDemand,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Makes retries safe")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = DemandView,
         headers(("Location" = String, description = "The new demand's URL"))),
        (status = 400, description = "Malformed JSON or wrong content type", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not create demand, or names another unit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, all named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/demands")]
pub async fn create_demand(
    user: AuthUser,
    database: web::Data<Database>,
    request: HttpRequest,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Unit, Role::Admin])?;
    let body = body.into_inner();
    let new = parse_new(&body).map_err(ApiError::Validation)?;
    let unit_id = match (user.scoped_unit(), new.unit_id) {
        (Some(own), Some(named)) if own != named => {
            return Err(ApiError::Forbidden(format!("a token of unit {own} cannot create demand for {named}")))
        }
        (Some(own), _) => own.to_owned(),
        (None, Some(named)) => named,
        (None, None) => {
            return Err(ApiError::Validation(vec![FieldError::new("unit_id", "is required for this role")]))
        }
    };
    let idempotency = idempotent_request(&request, &user, "create_demand", &body)?;
    let actor = actor(&user);
    let outcome = database
        .write(move |conn| {
            idempotency::once(conn, idempotency.as_ref(), |conn| {
                let row = demands::create(conn, &actor, &unit_id, new.status, &new.content)?;
                let view = DemandView::from_row(row)?;
                stored_created(format!("/api/v1/demands/{}", view.id), &view)
            })
        })
        .await?;
    Ok(created_response(outcome))
}

fn scope_for(user: &AuthUser) -> Option<String> {
    user.scoped_unit().map(str::to_owned)
}

fn single(row: DemandRow) -> Result<HttpResponse, ApiError> {
    let view = DemandView::from_row(row)?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Get one demand
///
/// Answers 404 for another unit's demand when called with a unit token.
#[utoipa::path(
    tag = "demands",
    params(("id" = Uuid, Path, description = "Demand id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The demand; ETag carries its version", body = DemandView,
         headers(("ETag" = String, description = "The version in quotes"))),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such demand (or not yours)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/demands/{id}")]
pub async fn get_demand(
    user: AuthUser,
    database: web::Data<Database>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    user.require(READERS)?;
    let scope = scope_for(&user);
    let id = id.into_inner().to_string();
    let row = database.demand(id.clone()).await?;
    single(demands::visible(row, &id, scope.as_deref())?)
}

/// Edit a demand
///
/// Only the owning unit may edit, and only `draft` or `submitted` demand. Send
/// `If-Match: "<version>"` to make sure nobody changed it since you read it.
#[utoipa::path(
    tag = "demands",
    params(
        ("id" = Uuid, Path, description = "Demand id"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "The version you read, in quotes"),
    ),
    request_body(content = UpdateDemand, content_type = "application/merge-patch+json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated demand", body = DemandView),
        (status = 400, description = "Malformed JSON or If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the owning unit edits demand", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such demand (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not editable any more, or a concurrent change won", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match the current version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, all named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/demands/{id}")]
pub async fn update_demand(
    user: AuthUser,
    database: web::Data<Database>,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Unit])?;
    let expected = if_match(&request)?;
    let scope = scope_for(&user);
    let id = id.into_inner().to_string();
    let actor = actor(&user);
    let patch = body.into_inner();
    let row =
        database.write(move |conn| demands::update(conn, &actor, &id, scope.as_deref(), expected, &patch)).await?;
    single(row)
}

async fn transition(
    user: AuthUser,
    database: web::Data<Database>,
    request: HttpRequest,
    id: Uuid,
    transition: DemandTransition,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Unit])?;
    let expected = if_match(&request)?;
    let scope = scope_for(&user);
    let actor = actor(&user);
    let id = id.to_string();
    let row = database
        .write(move |conn| demands::transition(conn, &actor, &id, scope.as_deref(), expected, transition))
        .await?;
    single(row)
}

/// Submit a draft
///
/// `draft` → `submitted`, so the demand can be bundled.
#[utoipa::path(
    tag = "demands",
    params(
        ("id" = Uuid, Path, description = "Demand id"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "The version you read, in quotes"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submitted demand", body = DemandView),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the owning unit submits", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such demand (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a draft", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/demands/{id}/submit")]
pub async fn submit_demand(
    user: AuthUser,
    database: web::Data<Database>,
    request: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    transition(user, database, request, id.into_inner(), DemandTransition::Submit).await
}

/// Withdraw demand
///
/// `draft` or `submitted` → `withdrawn`; bundled demand can no longer be withdrawn.
#[utoipa::path(
    tag = "demands",
    params(
        ("id" = Uuid, Path, description = "Demand id"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "The version you read, in quotes"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The withdrawn demand", body = DemandView),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the owning unit withdraws", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such demand (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already bundled or withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/demands/{id}/withdraw")]
pub async fn withdraw_demand(
    user: AuthUser,
    database: web::Data<Database>,
    request: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    transition(user, database, request, id.into_inner(), DemandTransition::Withdraw).await
}
