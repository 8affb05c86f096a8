//! `/ui/`: the officer's web page, embedded in the binary (no CDN, no internet).

use actix_web::http::header;
use actix_web::{web, HttpResponse};

const INDEX: &str = include_str!("../ui/index.html");
const SCRIPT: &str = include_str!("../ui/app.js");
const STYLE: &str = include_str!("../ui/app.css");

/// Only the page's own files; no inline script or style, no framing.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .body(body)
}

/// Registers the page's routes (outside the API and its OpenAPI document).
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route(
            "/ui",
            web::get()
                .to(|| async { HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/ui/")).finish() }),
        )
        .route("/ui/", web::get().to(|| async { asset("text/html; charset=utf-8", INDEX) }))
        .route("/ui/app.js", web::get().to(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }))
        .route("/ui/app.css", web::get().to(|| async { asset("text/css; charset=utf-8", STYLE) }));
}
