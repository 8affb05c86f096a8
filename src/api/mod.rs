//! The HTTP surface: handlers, one module per resource, and the OpenAPI document.

pub mod audit;
pub mod demands;
pub mod health;
pub mod imports;
pub mod ocds;
pub mod proposals;
pub mod reports;
pub mod support;
pub mod ui;
pub mod units;
pub mod webhooks;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{scope, AppExt};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tenderpool",
        description = "Joint public procurement: units report planned purchases of vehicles, \
printers and PCs; tenderpool bundles compatible demand into joint tender proposals.\n\n\
Authenticate with `Authorization: Bearer <JWT>`. Errors are `application/problem+json` (RFC 9457). \
Money is whole CHF excluding VAT.",
        license(name = "EUPL-1.2")
    ),
    modifiers(&BearerScheme),
    components(schemas(webhooks::WebhookPayload)),
    tags(
        (name = "units", description = "Organisational units"),
        (name = "demands", description = "Units' planned purchases"),
        (name = "proposals", description = "Joint tender proposals and the officer's decisions"),
        (name = "reports", description = "Synergies, splitting risks and the settings in force"),
        (name = "webhooks", description = "Signed event deliveries to other systems"),
        (name = "audit", description = "Who changed what"),
        (name = "operations", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// Any API operation answers 400 to a malformed path, query or header (a non-UUID id, a
/// non-numeric `limit`, an unreadable `If-Match`): document that once for all of them.
pub struct BadRequests;

impl Modify for BadRequests {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let response = ResponseBuilder::new()
            .description("Malformed path, query, header or body")
            .content(
                "application/problem+json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
            )
            .build();
        for (path, item) in &mut openapi.paths.paths {
            if !path.starts_with("/api/") {
                continue;
            }
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                operation.responses.responses.entry("400".to_owned()).or_insert_with(|| response.clone().into());
            }
        }
    }
}

/// Registers every documented route.
pub fn configure(config: &mut ServiceConfig) {
    config.service(health::health).service(health::ready).service(health::metrics).service(
        scope::scope("/api/v1")
            .service(units::list_units)
            .service(units::get_unit)
            .service(units::create_unit)
            .service(demands::list_demands)
            .service(demands::create_demand)
            .service(imports::import_demands)
            .service(demands::get_demand)
            .service(demands::update_demand)
            .service(demands::submit_demand)
            .service(demands::withdraw_demand)
            .service(proposals::generate_proposals)
            .service(proposals::list_proposals)
            .service(proposals::get_proposal)
            .service(ocds::export_ocds)
            .service(proposals::approve_proposal)
            .service(proposals::reject_proposal)
            .service(proposals::tender_proposal)
            .service(proposals::award_proposal)
            .service(proposals::cancel_proposal)
            .service(reports::synergy_report)
            .service(reports::splitting_report)
            .service(reports::get_settings)
            .service(webhooks::create_webhook)
            .service(webhooks::list_webhooks)
            .service(webhooks::get_webhook)
            .service(webhooks::delete_webhook)
            .service(webhooks::list_deliveries)
            .service(audit::list_audit),
    );
}

/// The OpenAPI document, as served at `/openapi.json` and committed under `openapi/`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut document =
        actix_web::App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(configure).split_for_parts().1;
    complete(&mut document);
    document
}

/// What can only be added once the routes are collected.
pub fn complete(document: &mut utoipa::openapi::OpenApi) {
    BadRequests.modify(document);
}

/// The document as committed: pretty JSON with a final newline.
pub fn openapi_json() -> String {
    let mut text = openapi_document().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}
