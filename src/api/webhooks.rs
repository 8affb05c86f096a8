//! `/api/v1/webhooks`: subscriptions of other systems to tenderpool's events.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::demands::rfc3339;
use super::support::{created_response, idempotent_request, page, stored_created};
use crate::auth::{AuthUser, Role};
use crate::db::webhooks::{self, AttemptRow, WebhookRow};
use crate::db::{idempotency, Database};
use crate::delivery::DeliveryConfig;
use crate::domain::webhooks::{new_secret, parse_subscription, EventType};
use crate::error::{ApiError, Problem};

const MANAGERS: &[Role] = &[Role::Admin, Role::Integration];

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "3f1c2a77-5b7e-4b8a-9a55-1f2e3d4c5b6a", "url": "https://finance.lu.ch/hooks/tenderpool",
    "events": ["proposal.approved", "proposal.awarded"], "active": true, "created_at": "2026-11-23T17:05:00Z"
}))]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<EventType>,
    pub active: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    /// The signing secret, `whsec_…`: only in the answer that creates the subscription.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookView {
    fn from_row(row: WebhookRow, with_secret: bool) -> WebhookView {
        WebhookView {
            events: row.events().iter().filter_map(|name| EventType::parse(name)).collect(),
            secret: with_secret.then_some(row.secret),
            id: row.id,
            url: row.url,
            active: row.active,
            created_at: rfc3339(row.created_at),
        }
    }
}

/// (Documentation only: bodies are read field by field to report every error at once.)
#[derive(Debug, ToSchema)]
#[schema(example = json!({"url": "https://finance.lu.ch/hooks/tenderpool", "events": ["proposal.approved", "proposal.awarded"]}))]
#[allow(dead_code)]
pub struct CreateWebhook {
    /// An http(s) URL; the operator may restrict the hosts.
    url: String,
    events: Vec<EventType>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookView>,
}

/// One attempt to deliver an event.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    pub id: String,
    /// The delivery's `webhook-id`, the same on every retry.
    pub message_id: String,
    pub event_id: String,
    pub attempt: i32,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<i32>,
    pub error: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub at: String,
}

impl From<AttemptRow> for DeliveryView {
    fn from(row: AttemptRow) -> Self {
        DeliveryView {
            id: row.id,
            message_id: row.job_id,
            event_id: row.event_id,
            attempt: row.attempt,
            status_code: row.status_code,
            error: row.error,
            at: rfc3339(row.at),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// The body of every delivery, POSTed as JSON with the Standard Webhooks headers
/// `webhook-id` (the same on retries), `webhook-timestamp` (Unix seconds) and
/// `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the
/// base64-decoded part of the secret after `whsec_`). Answer 2xx to acknowledge; anything else
/// is retried after 5 s, then doubling, for up to 24 h. Delivery is at least once: deduplicate
/// by `webhook-id`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "proposal.approved", "timestamp": "2026-11-23T17:05:00.000000Z",
    "data": {"proposal_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "status": "approved", "title": "PCs: laptop, windows, 16 GB RAM, 512 GB storage for 3 units",
             "category": "pc", "estimated_value_chf": 270_000, "version": 2}
}))]
pub struct WebhookPayload {
    #[serde(rename = "type")]
    pub event_type: EventType,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: String,
    /// Ids and status of what changed; fetch the resource for the rest.
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// 1 to 500, default 50.
    limit: Option<i64>,
    /// Default 0.
    offset: Option<i64>,
}

/// An admin manages every subscription; an integration only its own.
fn owner(user: &AuthUser) -> Option<String> {
    (user.role != Role::Admin).then(|| user.sub.clone())
}

/// Subscribe to events
///
/// Answers 201 with the signing secret, which is shown only here. See `WebhookPayload` for what
/// is delivered.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateWebhook,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Makes retries safe")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Subscribed; the answer holds the secret", body = WebhookView,
         headers(("Location" = String, description = "The subscription's URL"))),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Admins and integrations only", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid URL, host not allowed, or unknown events", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    user: AuthUser,
    database: web::Data<Database>,
    delivery: web::Data<DeliveryConfig>,
    request: HttpRequest,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    user.require(MANAGERS)?;
    let body = body.into_inner();
    let subscription = parse_subscription(&body, &delivery.allowed_hosts).map_err(ApiError::Validation)?;
    let idempotency = idempotent_request(&request, &user, "create_webhook", &body)?;
    let created_by = user.sub.clone();
    let outcome = database
        .write(move |conn| {
            idempotency::once(conn, idempotency.as_ref(), |conn| {
                let secret = new_secret(rand::random());
                let view = WebhookView::from_row(webhooks::create(conn, &subscription, secret, &created_by)?, true);
                stored_created(format!("/api/v1/webhooks/{}", view.id), &view)
            })
        })
        .await?;
    Ok(created_response(outcome))
}

/// List subscriptions
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's subscriptions (an admin's: all), without secrets", body = WebhookList),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Admins and integrations only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks")]
pub async fn list_webhooks(user: AuthUser, database: web::Data<Database>) -> Result<HttpResponse, ApiError> {
    user.require(MANAGERS)?;
    let owner = owner(&user);
    let rows = database.read(move |conn| webhooks::list(conn, owner.as_deref())).await?;
    Ok(HttpResponse::Ok()
        .json(WebhookList { items: rows.into_iter().map(|row| WebhookView::from_row(row, false)).collect() }))
}

/// Get one subscription
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The subscription, without its secret", body = WebhookView),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Admins and integrations only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription (or not yours)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    user: AuthUser,
    database: web::Data<Database>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    user.require(MANAGERS)?;
    let owner = owner(&user);
    let id = id.into_inner().to_string();
    let row = database.read(move |conn| webhooks::find(conn, &id, owner.as_deref())).await?;
    Ok(HttpResponse::Ok().json(WebhookView::from_row(row, false)))
}

/// Unsubscribe
///
/// Deletes the subscription, its pending deliveries and its delivery log.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Admins and integrations only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription (or not yours)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    user: AuthUser,
    database: web::Data<Database>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    user.require(MANAGERS)?;
    let owner = owner(&user);
    let id = id.into_inner().to_string();
    database.write(move |conn| webhooks::delete(conn, &id, owner.as_deref())).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Delivery attempts of a subscription
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id"), DeliveryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every attempt, oldest first", body = DeliveryPage),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Admins and integrations only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "limit or offset out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    user: AuthUser,
    database: web::Data<Database>,
    id: web::Path<Uuid>,
    query: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(MANAGERS)?;
    let (limit, offset) = page(query.limit, query.offset)?;
    let owner = owner(&user);
    let id = id.into_inner().to_string();
    let (rows, total) = database
        .read(move |conn| {
            webhooks::find(conn, &id, owner.as_deref())?;
            webhooks::attempts(conn, &id, limit, offset)
        })
        .await?;
    Ok(HttpResponse::Ok().json(DeliveryPage {
        items: rows.into_iter().map(DeliveryView::from).collect(),
        total,
        limit,
        offset,
    }))
}
