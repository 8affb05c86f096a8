use crate::helpers::{laptop, TestApp};
use crate::on_both_backends;

on_both_backends!(data_survives_a_restart, health_and_readiness_answer, metrics_count_requests_demand_and_deliveries);

async fn data_survives_a_restart(mut app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("buwd-vif");
    let demand = app.create_demand(&clerk, &laptop(7, 1100, "2027-05-31")).await;
    let path = format!("/api/v1/demands/{}", demand["id"].as_str().unwrap());
    let before = app.address.clone();

    app.restart().await;

    assert_ne!(app.address, before, "a new server process on a new port");
    let read = app.get(&path, &clerk).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body, demand);
    assert_eq!(app.get("/api/v1/units", &clerk).await.body["items"].as_array().unwrap().len(), 6);
}

async fn health_and_readiness_answer(app: TestApp) {
    let health = app.send(awc::http::Method::GET, "/health", None, &[], None).await;
    assert_eq!((health.status, health.body["status"].as_str()), (200, Some("ok")));
    let ready = app.send(awc::http::Method::GET, "/ready", None, &[], None).await;
    assert_eq!((ready.status, ready.body["status"].as_str()), (200, Some("ready")));
}

async fn metrics_count_requests_demand_and_deliveries(app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("buwd-vif");
    let demand = app.create_demand(&clerk, &laptop(7, 1100, "2030-05-31")).await;
    let path = format!("/api/v1/demands/{}", demand["id"].as_str().unwrap());
    for _ in 0..3 {
        assert_eq!(app.get(&path, &clerk).await.status, 200);
    }
    app.get(&path, &app.unit("kg")).await.assert_problem(404);
    // A subscription nobody answers: its delivery stays in the backlog.
    let hook = serde_json::json!({"url": "http://127.0.0.1:9/nobody", "events": ["demand.withdrawn"]});
    assert_eq!(app.post("/api/v1/webhooks", &app.admin(), &hook).await.status, 201);
    assert_eq!(app.post(&format!("{path}/withdraw"), &clerk, &serde_json::json!({})).await.status, 200);

    let metrics = app.send(awc::http::Method::GET, "/metrics", None, &[], None).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.content_type().starts_with("text/plain"));
    let text = &metrics.text;
    assert!(
        text.contains(r#"tenderpool_http_requests_total{method="GET",route="/api/v1/demands/{id}",status="200"} 3"#),
        "{text}"
    );
    assert!(
        text.contains(r#"tenderpool_http_requests_total{method="GET",route="/api/v1/demands/{id}",status="404"} 1"#)
    );
    assert!(text.contains(r#"tenderpool_http_request_duration_seconds_count{route="/api/v1/demands/{id}"} 4"#));
    assert!(text.contains(r#"tenderpool_demands{status="withdrawn"} 1"#));
    assert!(text.contains(r#"tenderpool_demands{status="submitted"} 0"#));
    assert!(text.contains("tenderpool_webhook_backlog 1"), "{text}");
    assert!(text.contains("tenderpool_webhook_failed 0"));
    assert!(!text.contains(demand["id"].as_str().unwrap()), "no series per demand id");
}
