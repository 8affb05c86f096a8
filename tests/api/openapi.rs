use awc::http::Method;

use crate::helpers::{Backend, TestApp};

const COMMITTED: &str = "openapi/openapi.json";

/// Fails when the committed document drifts from the code; `UPDATE_OPENAPI=1` rewrites it.
#[test]
fn the_committed_openapi_document_is_what_the_code_generates() {
    let generated = tenderpool::api::openapi_json();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED);
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("write openapi.json");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{COMMITTED} is stale: run `UPDATE_OPENAPI=1 cargo test --test api openapi` and commit it"
    );
}

#[test]
fn every_operation_documents_its_errors_and_security() {
    let document: serde_json::Value = serde_json::from_str(&tenderpool::api::openapi_json()).unwrap();
    assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(operation["summary"].is_string(), "{method} {path} has a summary");
            if path.starts_with("/api/") {
                assert!(operation["security"].is_array(), "{method} {path} names its security");
                let problem = &responses["401"]["content"]["application/problem+json"];
                assert!(problem.is_object(), "{method} {path} documents 401 as a problem");
            }
        }
    }
}

#[actix_web::test]
async fn the_server_publishes_the_document_and_an_offline_swagger_ui() {
    let app = TestApp::spawn(Backend::Sqlite).unwrap();
    let served = app.send(Method::GET, "/openapi.json", None, &[], None).await;
    assert_eq!(served.status, 200);
    let generated: serde_json::Value = serde_json::from_str(&tenderpool::api::openapi_json()).unwrap();
    assert_eq!(served.body, generated);
    let ui = app.send(Method::GET, "/docs/", None, &[], None).await;
    assert_eq!(ui.status, 200);
    assert!(ui.text.contains("swagger-ui"), "{}", ui.text);
    let script = app.send(Method::GET, "/docs/swagger-ui-bundle.js", None, &[], None).await;
    assert_eq!(script.status, 200, "the UI's script is served from the binary");
    assert!(script.text.len() > 100_000);
}

#[actix_web::test]
async fn the_officer_page_is_served_from_the_binary_with_a_strict_policy() {
    let app = TestApp::spawn(Backend::Sqlite).unwrap();
    let page = app.send(Method::GET, "/ui/", None, &[], None).await;
    assert_eq!(page.status, 200);
    assert!(page.content_type().starts_with("text/html"));
    assert!(page.text.contains(r#"<script src="/ui/app.js" defer></script>"#));
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    let script = app.send(Method::GET, "/ui/app.js", None, &[], None).await;
    assert_eq!(script.status, 200);
    assert!(script.text.contains("sessionStorage"), "the token is kept per tab");
    assert!(!script.text.contains("localStorage.setItem(\"tenderpool.token"), "never in local storage");
    // `/ui` redirects to `/ui/` (the client follows it).
    let redirected = app.send(Method::GET, "/ui", None, &[], None).await;
    assert_eq!(redirected.text, page.text);
}
