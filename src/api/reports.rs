//! `/api/v1/reports` and `/api/v1/settings`: what bundling achieved, where splitting looms,
//! and the figures behind every rule.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{AuthUser, Role};
use crate::db::{reports, Database};
use crate::domain::reports::{SplittingReport, SynergyReport};
use crate::domain::settings::ProcurementSettings;
use crate::error::{ApiError, Problem};

const READERS: &[Role] = &[Role::Officer, Role::Integration, Role::Admin];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Only this budget year (default: all).
    budget_year: Option<i32>,
}

/// Synergies: demand, bundled value, procedures avoided, savings
///
/// Per category and per unit, over submitted and bundled demand and the approved, tendered and
/// awarded proposals.
#[utoipa::path(
    tag = "reports",
    params(ReportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", body = SynergyReport),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Officers, integrations and admins only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/synergies")]
pub async fn synergy_report(
    user: AuthUser,
    database: web::Data<Database>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(READERS)?;
    let year = query.budget_year;
    let report = database.read(move |conn| reports::synergies(conn, year)).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Splitting: where separate purchases would split a contract
///
/// Per legal entity, category and budget year: each unit's sum and the procedure it needs
/// alone, the combined sum and the procedure it needs together. `threshold_crossed` marks where
/// every unit stays below a threshold that the sum reaches.
#[utoipa::path(
    tag = "reports",
    params(ReportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", body = SplittingReport),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Officers, integrations and admins only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/splitting")]
pub async fn splitting_report(
    user: AuthUser,
    database: web::Data<Database>,
    settings: web::Data<ProcurementSettings>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(READERS)?;
    let year = query.budget_year;
    let settings = settings.into_inner();
    let report = database.read(move |conn| reports::splitting(conn, year, &settings)).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// The effective settings
///
/// Thresholds (with their legal source), lead times, savings assumptions and bundling
/// defaults, as loaded from the defaults and the `--config` file.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings in force", body = ProcurementSettings),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Officers, integrations and admins only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/settings")]
pub async fn get_settings(user: AuthUser, settings: web::Data<ProcurementSettings>) -> Result<HttpResponse, ApiError> {
    user.require(READERS)?;
    Ok(HttpResponse::Ok().json(settings.get_ref()))
}
