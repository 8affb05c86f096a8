//! The app factory shared by `serve` and the tests, and the HTTP server around it.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{middleware, web, App, HttpServer};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::Keys;
use crate::db::{idempotency, Database};
use crate::delivery::DeliveryConfig;
use crate::domain::settings::ProcurementSettings;
use crate::metrics::{self, Metrics};
use crate::{api, error};

/// What every worker's app shares.
#[derive(Clone)]
pub struct AppState {
    pub database: web::Data<Database>,
    pub keys: web::Data<Keys>,
    pub settings: web::Data<ProcurementSettings>,
    pub delivery: web::Data<DeliveryConfig>,
    pub metrics: web::Data<Metrics>,
    pub body_limit: usize,
    /// Origins allowed by CORS; empty: CORS is off and browsers block cross-origin calls.
    pub cors_origins: Vec<String>,
}

impl AppState {
    pub fn new(
        database: Database,
        keys: Keys,
        settings: ProcurementSettings,
        delivery: DeliveryConfig,
        body_limit: usize,
    ) -> Self {
        AppState {
            database: web::Data::new(database),
            keys: web::Data::new(keys),
            settings: web::Data::new(settings),
            delivery: web::Data::new(delivery),
            metrics: web::Data::new(Metrics::default()),
            body_limit,
            cors_origins: Vec::new(),
        }
    }
}

/// The whole application: API, OpenAPI, Swagger UI, problem+json for every error.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, mut openapi) = App::new()
        .into_utoipa_app()
        .openapi(api::ApiDoc::openapi())
        .app_data(state.database)
        .app_data(state.keys)
        .app_data(state.settings)
        .app_data(state.delivery)
        .app_data(state.metrics)
        .app_data(web::JsonConfig::default().limit(state.body_limit).error_handler(error::json_error))
        .app_data(web::PayloadConfig::default().limit(state.body_limit))
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .configure(api::configure)
        .split_for_parts();
    api::complete(&mut openapi);
    app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi))
        .configure(api::ui::configure)
        .default_service(web::to(error::no_route))
        // Browsers send `Origin` on same-origin writes too: without configured origins the
        // CORS middleware stays out of the way instead of refusing those.
        .wrap(middleware::Condition::new(!state.cors_origins.is_empty(), cors(&state.cors_origins)))
        .wrap(security_headers())
        .wrap(middleware::from_fn(metrics::track))
        .wrap(middleware::Logger::new("%a \"%r\" %s %b %Dms"))
}

/// Headers every answer carries: no sniffing, no framing, no referrer, no caching of data.
fn security_headers() -> middleware::DefaultHeaders {
    middleware::DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        .add(("Cache-Control", "no-store"))
}

/// CORS for the configured origins only; with none, no cross-origin browser call is allowed.
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers(["authorization", "content-type", "if-match", "idempotency-key", "accept"])
        .expose_headers(["etag", "location", "x-total-count", "idempotent-replayed"])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

const BLOCKING_THREADS_PER_WORKER: usize = 2;

/// Starts serving on `listener`; the returned server stops gracefully on SIGINT or SIGTERM.
pub fn listen(listener: TcpListener, state: AppState, workers: Option<usize>) -> std::io::Result<Server> {
    // Reads run on each worker's blocking threads. A few threads per worker beat many: more only
    // queue for the same connections and the same locks (measured: 2 per worker gave 2.6 times
    // the requests per second of actix's default of hundreds).
    let mut server = HttpServer::new(move || app(state.clone()))
        .shutdown_timeout(30)
        .worker_max_blocking_threads(BLOCKING_THREADS_PER_WORKER);
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.listen(listener)?.run())
}

/// Forgets expired idempotency keys now and every hour.
pub fn spawn_housekeeping(database: Database) {
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(Duration::from_secs(3600));
        loop {
            interval.tick().await;
            match database.write(idempotency::purge_expired).await {
                Ok(0) => {}
                Ok(purged) => log::info!("purged {purged} expired idempotency keys"),
                Err(error) => log::warn!("purging idempotency keys failed: {error}"),
            }
        }
    });
}
