//! `GET /api/v1/proposals/{id}/ocds`: a proposal as an Open Contracting Data Standard 1.1
//! release, for publication platforms and finance systems.

use std::collections::HashMap;

use actix_web::{get, web, HttpResponse};
use chrono::{Days, NaiveDate};
use serde_json::{json, Value};
use uuid::Uuid;

use super::proposals::{load_one, ProposalView};
use crate::auth::{AuthUser, Role};
use crate::db::{units, Database};
use crate::domain::procedure::{LeadTime, Procedure};
use crate::domain::proposal::ProposalStatus;
use crate::domain::settings::ProcurementSettings;
use crate::error::{ApiError, Problem};

fn instant(date: NaiveDate) -> String {
    format!("{date}T00:00:00Z")
}

fn tag(status: ProposalStatus) -> &'static str {
    match status {
        ProposalStatus::Draft | ProposalStatus::Approved | ProposalStatus::Rejected => "planning",
        ProposalStatus::Tendered => "tender",
        ProposalStatus::Awarded => "award",
        ProposalStatus::Cancelled => "tenderCancellation",
    }
}

fn tender_status(status: ProposalStatus) -> &'static str {
    match status {
        ProposalStatus::Draft | ProposalStatus::Approved => "planned",
        ProposalStatus::Tendered => "active",
        ProposalStatus::Awarded => "complete",
        ProposalStatus::Rejected => "withdrawn",
        ProposalStatus::Cancelled => "cancelled",
    }
}

/// The OCDS method codelist, with the Swiss name in `procurementMethodDetails`.
fn method(procedure: Procedure) -> (&'static str, &'static str) {
    match procedure {
        Procedure::Open => ("open", "offenes Verfahren (open procedure)"),
        Procedure::Invitation => ("limited", "Einladungsverfahren (invitation procedure)"),
        Procedure::Direct => ("direct", "freihändiges Verfahren (direct award)"),
    }
}

fn amount(chf: i64) -> Value {
    json!({"amount": chf, "currency": "CHF"})
}

/// Maps a proposal to an OCDS release; `names` gives unit names by id.
fn release(view: &ProposalView, names: &HashMap<String, String>, settings: &ProcurementSettings) -> Value {
    let ocds = &settings.ocds;
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let mut parties: Vec<Value> = Vec::new();
    let mut buyers: Vec<&str> = view.unit_ids.iter().map(String::as_str).collect();
    if !buyers.contains(&view.lead_entity_id.as_str()) {
        buyers.push(&view.lead_entity_id);
    }
    for unit in buyers {
        parties.push(json!({"id": unit, "name": name(unit), "roles": ["buyer"]}));
    }
    parties.push(json!({"id": ocds.coordinator_id, "name": ocds.coordinator_name, "roles": ["procuringEntity"]}));
    let lead_time = LeadTime::of(view.procedure, view.treaty_area, view.category, &settings.lead_times);
    let offer_end = view
        .tender_start_by
        .checked_add_days(Days::new(u64::try_from(lead_time.offer_days).unwrap_or(0)))
        .unwrap_or(view.tender_start_by);
    let (procurement_method, method_details) = method(view.procedure);
    let average_price = if view.total_quantity > 0 { view.estimated_value_chf / view.total_quantity } else { 0 };
    let mut release = json!({
        "ocid": format!("{}-{}", ocds.ocid_prefix, view.id),
        "id": format!("{}-{}", view.id, view.version),
        "date": view.updated_at,
        "tag": [tag(view.status)],
        "initiationType": "tender",
        "language": "en",
        "parties": parties,
        "buyer": {"id": view.lead_entity_id, "name": name(&view.lead_entity_id)},
        "planning": {
            "rationale": format!("Joint procurement of {} units; {}", view.unit_ids.len(), view.procedure_reason),
            "budget": {"description": format!("Budget year {}", view.budget_year), "amount": amount(view.estimated_value_chf)},
        },
        "tender": {
            "id": view.id,
            "title": view.title,
            "description": format!("{}; needed by {}", view.title, view.needed_by),
            "status": tender_status(view.status),
            "procuringEntity": {"id": ocds.coordinator_id, "name": ocds.coordinator_name},
            "items": [{
                "id": "1",
                "description": format!("{} ({})", view.title, view.spec),
                "classification": {"scheme": "CPV", "id": view.cpv},
                "quantity": view.total_quantity,
                "unit": {"name": "piece", "value": amount(average_price)},
            }],
            "value": amount(view.estimated_value_chf),
            "procurementMethod": procurement_method,
            "procurementMethodDetails": method_details,
            "mainProcurementCategory": "goods",
            "tenderPeriod": {"startDate": instant(view.tender_start_by), "endDate": instant(offer_end)},
        },
    });
    if let (Some(supplier), Some(value)) = (&view.awarded_supplier, view.awarded_value_chf) {
        let supplier_id = format!("supplier-{}", view.id);
        release["parties"]
            .as_array_mut()
            .expect("parties is a list")
            .push(json!({"id": supplier_id, "name": supplier, "roles": ["supplier"]}));
        release["awards"] = json!([{
            "id": format!("{}-award", view.id),
            "status": "active",
            "date": view.updated_at,
            "value": amount(value),
            "suppliers": [{"id": supplier_id, "name": supplier}],
        }]);
    }
    if let Some(reference) = &view.tender_reference {
        release["tender"]["documents"] = json!([{"id": reference, "documentType": "tenderNotice", "title": reference}]);
    }
    release
}

/// Export as OCDS
///
/// An Open Contracting Data Standard 1.1 release of the proposal: `tag` `planning` for draft
/// and approved, `tender` once tendered, `award` once awarded; every participating unit as
/// `buyer`, the coordinating body as `procuringEntity`, one item with the CPV classification.
#[utoipa::path(
    tag = "proposals",
    params(("id" = Uuid, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "An OCDS 1.1 release", body = Object, content_type = "application/json"),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such proposal (or none of your lines in it)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/proposals/{id}/ocds")]
pub async fn export_ocds(
    user: AuthUser,
    database: web::Data<Database>,
    settings: web::Data<ProcurementSettings>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Unit, Role::Officer, Role::Integration, Role::Admin])?;
    let unit = user.scoped_unit().map(str::to_owned);
    let (row, lines) = load_one(&database, id.into_inner().to_string(), unit.clone()).await?;
    let view = ProposalView::from_row(row, lines, unit.as_deref(), &settings)?;
    let names: HashMap<String, String> =
        database.read(units::list).await?.into_iter().map(|unit| (unit.id, unit.name)).collect();
    Ok(HttpResponse::Ok().json(release(&view, &names, &settings)))
}
