use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{laptop, Backend, Received, Receiver, TestApp};
use crate::on_both_backends;

on_both_backends!(signed_deliveries_are_retried_with_the_same_id, subscriptions_follow_roles_and_rules);

/// Verifies a Standard Webhooks signature independently of the server's code.
fn verify(secret: &str, received: &Received) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", received.id, received.timestamp, received.body).as_bytes());
    received.signature == format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

async fn subscribe(app: &TestApp, url: &str, events: Value) -> Value {
    let reply = app.post("/api/v1/webhooks", &app.integration(), &json!({"url": url, "events": events})).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body
}

async fn signed_deliveries_are_retried_with_the_same_id(app: TestApp) {
    app.seed_units().await;
    let receiver = Receiver::start(1);
    let subscription = subscribe(&app, &receiver.url, json!(["demand.submitted", "proposal.approved"])).await;
    let secret = subscription["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    let demand = app.create_demand(&app.unit("kg"), &laptop(5, 1000, "2030-01-31")).await;

    let deliveries_seen = receiver.wait_for(2).await;
    assert_eq!(deliveries_seen[0].id, deliveries_seen[1].id, "a retry keeps its webhook-id");
    assert!(deliveries_seen[0].id.starts_with("msg_"));
    for delivery in &deliveries_seen {
        assert!(verify(secret, delivery), "the signature verifies: {delivery:?}");
    }
    let payload: Value = serde_json::from_str(&deliveries_seen[1].body).unwrap();
    assert_eq!(payload["type"], "demand.submitted");
    assert_eq!(payload["data"]["demand_id"], demand["id"]);
    assert_eq!(payload["data"]["unit_id"], "kg");

    let id = subscription["id"].as_str().unwrap();
    let mut deliveries = json!(null);
    for _ in 0..50 {
        deliveries = app.get(&format!("/api/v1/webhooks/{id}/deliveries"), &app.integration()).await.body;
        if deliveries["total"] == 2 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(deliveries["total"], 2, "{deliveries}");
    let attempts: Vec<(i64, i64)> = deliveries["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["attempt"].as_i64().unwrap(), d["status_code"].as_i64().unwrap()))
        .collect();
    assert_eq!(attempts, [(1, 500), (2, 204)]);
    assert_eq!(deliveries["items"][0]["message_id"], deliveries["items"][1]["message_id"]);
    // A demand created as a draft is no `demand.submitted` event.
    let mut draft = laptop(1, 1000, "2030-01-31");
    draft["status"] = json!("draft");
    app.create_demand(&app.unit("kg"), &draft).await;
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received.lock().unwrap().len(), 2);
}

async fn subscriptions_follow_roles_and_rules(app: TestApp) {
    app.seed_units().await;
    let body = json!({"url": "https://finance.lu.ch/hooks", "events": ["proposal.awarded"]});
    for forbidden in [app.officer(), app.unit("kg")] {
        app.post("/api/v1/webhooks", &forbidden, &body).await.assert_problem(403);
        app.get("/api/v1/webhooks", &forbidden).await.assert_problem(403);
    }
    let invalid = app
        .post("/api/v1/webhooks", &app.integration(), &json!({"url": "ftp://x", "events": ["x"], "secret": "mine"}))
        .await;
    invalid.assert_problem(422);
    assert_eq!(invalid.error_fields(), ["url", "events", "secret"]);

    let mine = subscribe(&app, "https://finance.lu.ch/hooks", json!(["proposal.awarded"])).await;
    let id = mine["id"].as_str().unwrap();
    let admins = app.post("/api/v1/webhooks", &app.admin(), &body).await.body;
    let listed = app.get("/api/v1/webhooks", &app.integration()).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1, "an integration sees its own");
    assert!(listed.body["items"][0].get("secret").is_none(), "the secret is shown once");
    assert_eq!(app.get("/api/v1/webhooks", &app.admin()).await.body["items"].as_array().unwrap().len(), 2);
    let admin_id = admins["id"].as_str().unwrap();
    app.get(&format!("/api/v1/webhooks/{admin_id}"), &app.integration()).await.assert_problem(404);
    let reply = app
        .send(awc::http::Method::DELETE, &format!("/api/v1/webhooks/{id}"), Some(&app.integration()), &[], None)
        .await;
    assert_eq!(reply.status, 204);
    app.get(&format!("/api/v1/webhooks/{id}"), &app.integration()).await.assert_problem(404);
    app.get(&format!("/api/v1/webhooks/{id}/deliveries"), &app.integration()).await.assert_problem(404);
}

async fn survive(backend: Backend) {
    let Some(mut app) = TestApp::spawn_with(backend, false) else { return };
    app.seed_units().await;
    let receiver = Receiver::start(0);
    subscribe(&app, &receiver.url, json!(["demand.submitted"])).await;
    let demand = app.create_demand(&app.unit("kg"), &laptop(5, 1000, "2030-01-31")).await;
    actix_web::rt::time::sleep(Duration::from_millis(700)).await;
    assert!(receiver.received.lock().unwrap().is_empty(), "no worker ran before the restart");
    app.restart().await;
    let deliveries_seen = receiver.wait_for(1).await;
    let payload: Value = serde_json::from_str(&deliveries_seen[0].body).unwrap();
    assert_eq!(payload["data"]["demand_id"], demand["id"], "the committed event was delivered after the restart");
}

#[actix_web::test]
async fn a_committed_event_survives_a_restart_before_delivery_sqlite() {
    survive(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_committed_event_survives_a_restart_before_delivery_postgres() {
    survive(Backend::Postgres).await;
}
