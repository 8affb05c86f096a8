//! Liveness and readiness for orchestrators and load balancers.

use actix_web::{get, web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::Database;
use crate::error::{ApiError, Problem};

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
