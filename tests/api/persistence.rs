use crate::helpers::{laptop, TestApp};
use crate::on_both_backends;

on_both_backends!(data_survives_a_restart, health_and_readiness_answer);

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
