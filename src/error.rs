//! The one error type of the service and its `application/problem+json` rendering (RFC 9457).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use diesel::result::DatabaseErrorKind;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::validation::FieldError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    Unavailable(String),
    /// For the operator's log only; the client sees a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

/// An RFC 9457 problem document, the body of every 4xx and 5xx answer.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:tenderpool:problem:validation",
    "title": "Unprocessable Content",
    "status": 422,
    "detail": "the request has invalid fields",
    "errors": [{"field": "spec.ram_gb", "message": "must be an integer between 1 and 1024"}]
}))]
pub struct Problem {
    /// A URN naming the kind of problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Every bad field, for validation problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldError>)]
    pub errors: Vec<ProblemField>,
}

#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ProblemField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    pub field: String,
    pub message: String,
}

impl ApiError {
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        ApiError::NotFound(format!("no {what} with id {id}"))
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        ApiError::Internal(error.to_string())
    }

    fn kind(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Validation(_) => "validation",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed(_) => "method-not-allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::PreconditionFailed(_) => "precondition-failed",
            ApiError::PayloadTooLarge(_) => "payload-too-large",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            ApiError::Internal(_) => "an unexpected error occurred; it has been logged".to_owned(),
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::Validation(errors) => errors
                .iter()
                .map(|error| ProblemField {
                    row: error.row,
                    field: error.field.clone(),
                    message: error.message.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        Problem {
            problem_type: format!("urn:tenderpool:problem:{}", self.kind()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(detail) = self {
            log::error!("{detail}");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if matches!(self, ApiError::Unauthorized(_)) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(self.problem())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::Error;
        match error {
            Error::NotFound => ApiError::NotFound("not found".to_owned()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                ApiError::Conflict(format!("conflicts with an existing record ({})", info.message()))
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                ApiError::Conflict("a concurrent change won; retry the request".to_owned())
            }
            other => ApiError::internal(format!("database: {other}")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        log::warn!("database pool: {error}");
        ApiError::Unavailable("the database is not reachable; retry later".to_owned())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::internal(format!("blocking task: {error}"))
    }
}

/// Renders actix's JSON body errors as problems (400 for syntax and content type, 413 for size).
pub fn json_error(error: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError;
    let api_error = match &error {
        JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            ApiError::PayloadTooLarge(format!("the body is larger than the limit of {limit} bytes"))
        }
        JsonPayloadError::ContentType => ApiError::BadRequest("the Content-Type must be application/json".to_owned()),
        JsonPayloadError::Deserialize(inner) => ApiError::BadRequest(format!("malformed JSON: {inner}")),
        other => ApiError::BadRequest(format!("unreadable body: {other}")),
    };
    api_error.into()
}

pub fn query_error(error: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid query string: {error}")).into()
}

pub fn path_error(error: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid path parameter: {error}")).into()
}

/// The app's default service: a known path with another method is 405, anything else 404.
pub async fn no_route(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    if request.resource_map().has_resource(request.path()) {
        Err(ApiError::MethodNotAllowed(format!("{} is not allowed on {}", request.method(), request.path())))
    } else {
        Err(ApiError::NotFound(format!("no route for {}", request.path())))
    }
}
