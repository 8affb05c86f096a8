//! `/api/v1/proposals`: joint tender proposals and the officer's decisions on them.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::demands::rfc3339;
use super::support::{actor, csv_response, etag, if_match, page_for, wants_csv};
use crate::auth::{AuthUser, Role};
use crate::db::proposals::{self, GenerateParams, LineRow, ProposalFilter, ProposalRow};
use crate::db::Database;
use crate::domain::bundling::UnbundledReason;
use crate::domain::money::Chf;
use crate::domain::procedure::Procedure;
use crate::domain::proposal::{parse_decision, procedure_reason, ProposalAction, ProposalStatus, Warning};
use crate::domain::savings::SavingsBreakdown;
use crate::domain::settings::ProcurementSettings;
use crate::domain::spec::{Category, Spec};
use crate::domain::validation::{integer_in, Fields};
use crate::error::{ApiError, Problem};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProposalLineView {
    pub demand_id: String,
    pub unit_id: String,
    pub quantity: i64,
    pub unit_price_chf: i64,
    pub needed_by: NaiveDate,
}

/// The latest decision on a proposal; the audit log keeps every one.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct DecisionView {
    /// `approve`, `reject`, `tender`, `award` or `cancel`.
    action: ProposalAction,
    /// The deciding token's `sub`.
    by: String,
    role: String,
    #[schema(value_type = String, format = DateTime)]
    at: String,
    comment: Option<String>,
    reason: Option<String>,
    reference: Option<String>,
    supplier: Option<String>,
    awarded_value_chf: Option<i64>,
}

/// A joint tender proposal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "title": "PCs: laptop, windows, 16 GB RAM, 512 GB storage for 3 units",
    "category": "pc", "cpv": "30213100-6",
    "spec": {"form_factor": "laptop", "os": "windows", "ram_gb": 16, "storage_gb": 512},
    "budget_year": 2027,
    "lines": [{"demand_id": "0b6f3c1e-8f7a-4e55-9a43-3d1c2b9f0a11", "unit_id": "buwd-vif", "quantity": 60, "unit_price_chf": 1500, "needed_by": "2027-03-31"}],
    "unit_ids": ["buwd-vif", "fd-dii", "kg"], "lead_entity_id": "lu", "total_quantity": 180,
    "estimated_value_chf": 270_000, "procedure": "open", "procedure_reason": "CHF 270'000 ≥ CHF 250'000: open procedure",
    "treaty_area": false, "needed_by": "2027-03-31", "tender_start_by": "2026-12-21",
    "estimated_savings_chf": -3_960, "savings_breakdown": {"volume_discount_chf": 6480, "process_cost_chf": -10500, "assumptions": ["…"]},
    "warnings": [{"code": "threshold_crossed", "message": "…"}], "status": "draft", "decision": null,
    "tender_reference": null, "awarded_supplier": null, "awarded_value_chf": null, "realised_savings_chf": null,
    "version": 1, "created_at": "2026-11-23T17:05:00Z", "updated_at": "2026-11-23T17:05:00Z"
}))]
pub struct ProposalView {
    pub id: String,
    pub title: String,
    pub category: Category,
    pub cpv: String,
    /// The harmonised spec: at least what every line asked for, within each line's class.
    #[schema(value_type = Spec)]
    pub spec: Value,
    pub budget_year: i32,
    /// With a unit token, only that unit's lines.
    pub lines: Vec<ProposalLineView>,
    pub unit_ids: Vec<String>,
    /// The legal entity with the largest share; its thresholds apply (BöB Art. 16).
    pub lead_entity_id: String,
    pub total_quantity: i64,
    pub estimated_value_chf: i64,
    pub procedure: Procedure,
    /// Why this procedure, in plain words.
    pub procedure_reason: String,
    /// The value reaches the international-treaty threshold (WTO GPA).
    pub treaty_area: bool,
    /// The earliest line's date.
    pub needed_by: NaiveDate,
    /// The latest date to publish so that the earliest line is still served.
    pub tender_start_by: NaiveDate,
    pub estimated_savings_chf: i64,
    pub savings_breakdown: SavingsBreakdown,
    pub warnings: Vec<Warning>,
    pub status: ProposalStatus,
    #[schema(value_type = Option<DecisionView>)]
    pub decision: Option<Value>,
    /// The publication reference given when tendered (e.g. a simap id).
    pub tender_reference: Option<String>,
    pub awarded_supplier: Option<String>,
    pub awarded_value_chf: Option<i64>,
    /// Estimated value minus awarded value, once awarded.
    pub realised_savings_chf: Option<i64>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: String,
}

fn corrupt(id: &str) -> ApiError {
    ApiError::internal(format!("proposal {id} cannot be read"))
}

impl ProposalView {
    pub fn from_row(
        row: ProposalRow,
        lines: Vec<LineRow>,
        visible_unit: Option<&str>,
        settings: &ProcurementSettings,
    ) -> Result<ProposalView, ApiError> {
        let id = row.id.clone();
        let procedure = Procedure::parse(&row.procedure).ok_or_else(|| corrupt(&id))?;
        let lines = lines
            .into_iter()
            .filter(|line| visible_unit.is_none_or(|unit| unit == line.unit_id))
            .map(|line| ProposalLineView {
                demand_id: line.demand_id,
                unit_id: line.unit_id,
                quantity: line.quantity,
                unit_price_chf: line.unit_price_chf,
                needed_by: line.needed_by,
            })
            .collect();
        Ok(ProposalView {
            title: row.title,
            category: Category::parse(&row.category).ok_or_else(|| corrupt(&id))?,
            cpv: row.cpv,
            spec: serde_json::from_str(&row.spec).map_err(|_| corrupt(&id))?,
            budget_year: row.budget_year,
            lines,
            unit_ids: serde_json::from_str(&row.unit_ids).map_err(|_| corrupt(&id))?,
            lead_entity_id: row.lead_entity_id,
            total_quantity: row.total_quantity,
            estimated_value_chf: row.estimated_value_chf,
            procedure,
            procedure_reason: procedure_reason(Chf(row.estimated_value_chf), procedure, settings),
            treaty_area: row.treaty_area,
            needed_by: row.needed_by,
            tender_start_by: row.tender_start_by,
            estimated_savings_chf: row.estimated_savings_chf,
            savings_breakdown: serde_json::from_str(&row.savings_breakdown).map_err(|_| corrupt(&id))?,
            warnings: serde_json::from_str(&row.warnings).map_err(|_| corrupt(&id))?,
            status: ProposalStatus::parse(&row.status).ok_or_else(|| corrupt(&id))?,
            decision: row.decision.as_deref().and_then(|text| serde_json::from_str(text).ok()),
            tender_reference: row.tender_reference,
            awarded_supplier: row.awarded_supplier,
            realised_savings_chf: row.awarded_value_chf.map(|awarded| row.estimated_value_chf - awarded),
            awarded_value_chf: row.awarded_value_chf,
            version: row.version,
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
            id,
        })
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnbundledView {
    pub demand_id: String,
    pub reason: UnbundledReason,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GenerateResult {
    /// The new draft proposals, in the engine's order.
    pub proposals: Vec<ProposalView>,
    /// Submitted demand in scope that no proposal took, with the reason.
    pub unbundled: Vec<UnbundledView>,
}

/// Parameters of a generation; every field is optional. (Documentation only.)
#[derive(Debug, ToSchema)]
#[schema(example = json!({"budget_year": 2027, "window_days": 180, "min_units": 2}))]
#[allow(dead_code)]
pub struct GenerateRequest {
    /// Only demand of this budget year (and only its drafts are replaced).
    budget_year: Option<i32>,
    /// Default from the settings (180).
    #[schema(minimum = 1, maximum = 3650)]
    window_days: Option<i64>,
    /// Default from the settings (2).
    #[schema(minimum = 1, maximum = 1000)]
    min_units: Option<i64>,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ApproveRequest {
    comment: Option<String>,
}

#[derive(Debug, ToSchema)]
#[schema(example = json!({"reason": "Hospital IT has its own framework contract until 2028"}))]
#[allow(dead_code)]
pub struct ReasonRequest {
    /// Required.
    reason: String,
}

#[derive(Debug, ToSchema)]
#[schema(example = json!({"reference": "simap 1 234 567"}))]
#[allow(dead_code)]
pub struct TenderRequest {
    /// Where the tender was published, e.g. the simap project id.
    reference: String,
}

#[derive(Debug, ToSchema)]
#[schema(example = json!({"supplier": "Muster Informatik AG", "awarded_value_chf": 251_000}))]
#[allow(dead_code)]
pub struct AwardRequest {
    supplier: String,
    /// The contract's value in whole CHF excluding VAT.
    awarded_value_chf: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProposalQuery {
    status: Option<ProposalStatus>,
    category: Option<Category>,
    budget_year: Option<i32>,
    /// 1 to 500, default 50.
    limit: Option<i64>,
    /// Default 0.
    offset: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProposalPage {
    pub items: Vec<ProposalView>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

const PROPOSAL_CSV_COLUMNS: &[&str] = &[
    "id",
    "title",
    "category",
    "cpv",
    "status",
    "procedure",
    "treaty_area",
    "budget_year",
    "unit_ids",
    "lead_entity_id",
    "lines",
    "total_quantity",
    "estimated_value_chf",
    "estimated_savings_chf",
    "needed_by",
    "tender_start_by",
    "warnings",
    "tender_reference",
    "awarded_supplier",
    "awarded_value_chf",
];

fn proposal_csv_row(view: &ProposalView) -> Vec<String> {
    vec![
        view.id.clone(),
        view.title.clone(),
        view.category.to_string(),
        view.cpv.clone(),
        view.status.to_string(),
        view.procedure.to_string(),
        view.treaty_area.to_string(),
        view.budget_year.to_string(),
        view.unit_ids.join(";"),
        view.lead_entity_id.clone(),
        view.lines.len().to_string(),
        view.total_quantity.to_string(),
        view.estimated_value_chf.to_string(),
        view.estimated_savings_chf.to_string(),
        view.needed_by.to_string(),
        view.tender_start_by.to_string(),
        view.warnings.iter().map(|warning| warning.code.as_str()).collect::<Vec<_>>().join(";"),
        view.tender_reference.clone().unwrap_or_default(),
        view.awarded_supplier.clone().unwrap_or_default(),
        view.awarded_value_chf.map(|value| value.to_string()).unwrap_or_default(),
    ]
}

const DECIDERS: &[Role] = &[Role::Officer, Role::Admin];
const READERS: &[Role] = &[Role::Unit, Role::Officer, Role::Integration, Role::Admin];

/// Reads an optional JSON body: empty is `{}`, anything else must be JSON.
fn optional_json(request: &HttpRequest, body: &web::Bytes) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    let json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json") || value.contains("+json"));
    if !json {
        return Err(ApiError::BadRequest("the Content-Type must be application/json".to_owned()));
    }
    serde_json::from_slice(body).map_err(|error| ApiError::BadRequest(format!("malformed JSON: {error}")))
}

fn views(
    rows: Vec<ProposalRow>,
    mut lines: HashMap<String, Vec<LineRow>>,
    unit: Option<&str>,
    settings: &ProcurementSettings,
) -> Result<Vec<ProposalView>, ApiError> {
    rows.into_iter()
        .map(|row| {
            let own = lines.remove(&row.id).unwrap_or_default();
            ProposalView::from_row(row, own, unit, settings)
        })
        .collect()
}

/// Generate draft proposals
///
/// Bundles submitted demand into draft proposals, replacing the drafts in scope in one
/// transaction; approved and later proposals are never touched. The same demand gives the same
/// proposals in the same order.
#[utoipa::path(
    tag = "proposals",
    request_body(content = Option<GenerateRequest>, description = "Optional parameters"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new drafts and the demand left unbundled", body = GenerateResult),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Officers and admins only", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters, all named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/proposals/generate")]
pub async fn generate_proposals(
    user: AuthUser,
    database: web::Data<Database>,
    settings: web::Data<ProcurementSettings>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    user.require(DECIDERS)?;
    let body = optional_json(&request, &body)?;
    let mut fields = Fields::of(&body, "").map_err(|error| ApiError::Validation(vec![error]))?;
    let budget_year = fields.optional("budget_year", integer_in(2000, 2100));
    let window_days = fields.optional("window_days", integer_in(1, 3650));
    let min_units = fields.optional("min_units", integer_in(1, 1000));
    fields.reject_unknown(&["budget_year", "window_days", "min_units"], |_| "is not a parameter of generate");
    let defaults = &settings.bundling;
    let params = (|| {
        Some(GenerateParams {
            budget_year: budget_year?.and_then(|year| i32::try_from(year).ok()),
            window_days: window_days?.unwrap_or(defaults.window_days),
            min_units: usize::try_from(min_units?.unwrap_or(defaults.min_units)).ok()?,
        })
    })();
    let params = fields.into_result(params).map_err(ApiError::Validation)?;
    let actor = actor(&user);
    let today = chrono::Utc::now().date_naive();
    let engine_settings = settings.clone();
    let generated =
        database.write(move |conn| proposals::generate(conn, &actor, params, &engine_settings, today)).await?;
    let proposals = generated
        .proposals
        .into_iter()
        .map(|(row, lines)| ProposalView::from_row(row, lines, None, &settings))
        .collect::<Result<_, _>>()?;
    let unbundled =
        generated.unbundled.into_iter().map(|(demand_id, reason)| UnbundledView { demand_id, reason }).collect();
    Ok(HttpResponse::Ok().json(GenerateResult { proposals, unbundled }))
}

/// List proposals
///
/// A unit token sees only the proposals holding its demand, and in them only its own lines.
#[utoipa::path(
    tag = "proposals",
    params(ProposalQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of proposals, in generation order; with `Accept: text/csv` a CSV \
file, one proposal a row (up to 10 000, `X-Total-Count` header)",
         content((ProposalPage = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "limit or offset out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/proposals")]
pub async fn list_proposals(
    user: AuthUser,
    database: web::Data<Database>,
    settings: web::Data<ProcurementSettings>,
    request: HttpRequest,
    query: web::Query<ProposalQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(READERS)?;
    let query = query.into_inner();
    let (limit, offset) = page_for(&request, query.limit, query.offset)?;
    let unit = user.scoped_unit().map(str::to_owned);
    let filter = ProposalFilter {
        status: query.status,
        category: query.category,
        budget_year: query.budget_year,
        unit_id: unit.clone(),
    };
    let (rows, lines, total) = database
        .read(move |conn| {
            let (rows, total) = proposals::list(conn, &filter, limit, offset)?;
            let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
            Ok((rows, proposals::lines_of(conn, &ids)?, total))
        })
        .await?;
    let items = views(rows, lines, unit.as_deref(), &settings)?;
    if wants_csv(&request) {
        return csv_response(PROPOSAL_CSV_COLUMNS, items.iter().map(proposal_csv_row).collect(), total);
    }
    Ok(HttpResponse::Ok().json(ProposalPage { items, total, limit, offset }))
}

pub async fn load_one(
    database: &Database,
    id: String,
    unit: Option<String>,
) -> Result<(ProposalRow, Vec<LineRow>), ApiError> {
    database
        .read(move |conn| {
            let row = proposals::find_visible(conn, &id, unit.as_deref())?;
            Ok((row, proposals::lines_of_one(conn, &id)?))
        })
        .await
}

/// Get one proposal
#[utoipa::path(
    tag = "proposals",
    params(("id" = Uuid, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The proposal; ETag carries its version", body = ProposalView,
         headers(("ETag" = String, description = "The version in quotes"))),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such proposal (or none of your lines in it)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/proposals/{id}")]
pub async fn get_proposal(
    user: AuthUser,
    database: web::Data<Database>,
    settings: web::Data<ProcurementSettings>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    user.require(READERS)?;
    let unit = user.scoped_unit().map(str::to_owned);
    let (row, lines) = load_one(&database, id.into_inner().to_string(), unit.clone()).await?;
    let view = ProposalView::from_row(row, lines, unit.as_deref(), &settings)?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

async fn act(
    user: AuthUser,
    database: web::Data<Database>,
    settings: web::Data<ProcurementSettings>,
    request: HttpRequest,
    id: Uuid,
    body: web::Bytes,
    action: ProposalAction,
) -> Result<HttpResponse, ApiError> {
    user.require(DECIDERS)?;
    let expected = if_match(&request)?;
    let decision = parse_decision(action, &optional_json(&request, &body)?).map_err(ApiError::Validation)?;
    let actor = actor(&user);
    let id = id.to_string();
    let (row, lines) = database
        .write(move |conn| {
            let row = proposals::transition(conn, &actor, &id, expected, action, &decision)?;
            Ok((row, proposals::lines_of_one(conn, &id)?))
        })
        .await?;
    let view = ProposalView::from_row(row, lines, None, &settings)?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

macro_rules! action_handler {
    ($name:ident, $path:literal, $action:expr, $body:ty, $summary:literal, $from:literal) => {
        #[doc = $summary]
        #[doc = ""]
        #[doc = $from]
        #[utoipa::path(
            tag = "proposals",
            params(
                ("id" = Uuid, Path, description = "Proposal id"),
                ("If-Match" = Option<String>, Header, nullable = false, description = "The version you read, in quotes"),
            ),
            request_body = $body,
            security(("bearer" = [])),
            responses(
                (status = 200, description = "The proposal after the action", body = ProposalView),
                (status = 400, description = "Malformed JSON or If-Match", body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
                (status = 403, description = "Officers and admins only", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "No such proposal", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "Not allowed in the current status, a concurrent decision won, or its demand changed", body = Problem, content_type = "application/problem+json"),
                (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "Missing or invalid fields, all named", body = Problem, content_type = "application/problem+json"),
            )
        )]
        #[post($path)]
        pub async fn $name(
            user: AuthUser,
            database: web::Data<Database>,
            settings: web::Data<ProcurementSettings>,
            request: HttpRequest,
            id: web::Path<Uuid>,
            body: web::Bytes,
        ) -> Result<HttpResponse, ApiError> {
            act(user, database, settings, request, id.into_inner(), body, $action).await
        }
    };
}

action_handler!(approve_proposal, "/proposals/{id}/approve", ProposalAction::Approve, Option<ApproveRequest>,
    "Approve a draft proposal", "`draft` → `approved`; its demand lines become `bundled`. Refused (409) if any line was edited or withdrawn since generation.");
action_handler!(
    reject_proposal,
    "/proposals/{id}/reject",
    ProposalAction::Reject,
    ReasonRequest,
    "Reject a draft proposal",
    "`draft` → `rejected`, with a required `reason`; its demand stays `submitted`."
);
action_handler!(
    tender_proposal,
    "/proposals/{id}/tender",
    ProposalAction::Tender,
    TenderRequest,
    "Record the publication of the tender",
    "`approved` → `tendered`, with the publication `reference`."
);
action_handler!(
    award_proposal,
    "/proposals/{id}/award",
    ProposalAction::Award,
    AwardRequest,
    "Record the award",
    "`tendered` → `awarded`, with the supplier and the awarded value, so realised savings can be reported."
);
action_handler!(
    cancel_proposal,
    "/proposals/{id}/cancel",
    ProposalAction::Cancel,
    ReasonRequest,
    "Cancel an approved or tendered proposal",
    "`approved`/`tendered` → `cancelled`, with a required `reason`; its demand returns to `submitted`."
);
