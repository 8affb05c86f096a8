//! Liveness and readiness for orchestrators and load balancers.

use actix_web::{get, web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::{demands, webhooks, Database};
use crate::error::{ApiError, Problem};
use crate::metrics::Metrics;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Status {
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness: the process answers
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive", body = Status)))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok".to_owned() })
}

/// Prometheus metrics
///
/// Requests by route and status, a latency histogram, demand by status, the webhook backlog
/// and failed deliveries. Expose it on an internal network only.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain; version=0.0.4")),
)]
#[get("/metrics")]
pub async fn metrics(database: web::Data<Database>, metrics: web::Data<Metrics>) -> HttpResponse {
    let counts = database.read(|conn| Ok((demands::count_by_status(conn)?, webhooks::backlog(conn)?))).await;
    let gauges = match counts {
        Ok((by_status, (pending, failed))) => vec![
            (
                "tenderpool_demands",
                "Demand lines by status.",
                by_status.into_iter().map(|(status, count)| (format!("{{status=\"{status}\"}}"), count)).collect(),
            ),
            ("tenderpool_webhook_backlog", "Webhook deliveries not yet made.", vec![(String::new(), pending)]),
            ("tenderpool_webhook_failed", "Webhook deliveries given up.", vec![(String::new(), failed)]),
            ("tenderpool_database_up", "Whether the database answered the scrape.", vec![(String::new(), 1)]),
        ],
        Err(_) => {
            vec![("tenderpool_database_up", "Whether the database answered the scrape.", vec![(String::new(), 0)])]
        }
    };
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(metrics.render(&gauges))
}

/// Readiness: the database answers
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Status),
        (status = 503, description = "The database is not reachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/ready")]
pub async fn ready(database: web::Data<Database>) -> Result<HttpResponse, ApiError> {
    database
        .read(|conn| {
            conn.batch_execute("SELECT 1").map_err(|_| ApiError::Unavailable("the database does not answer".to_owned()))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Status { status: "ready".to_owned() }))
}
