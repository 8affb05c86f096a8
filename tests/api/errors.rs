use awc::http::Method;
use serde_json::json;

use crate::helpers::{laptop, TestApp};
use crate::on_both_backends;

on_both_backends!(every_error_is_a_problem_document);

async fn every_error_is_a_problem_document(app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("buwd-vif");
    let token = Some(clerk.as_str());

    let malformed = app
        .send(Method::POST, "/api/v1/demands", token, &[], Some(("application/json", b"{\"category\":".to_vec())))
        .await;
    malformed.assert_problem(400);
    assert!(malformed.body["detail"].as_str().unwrap().contains("malformed JSON"));

    let body = serde_json::to_vec(&laptop(1, 1000, "2027-01-01")).unwrap();
    app.send(Method::POST, "/api/v1/demands", token, &[], Some(("text/plain", body.clone()))).await.assert_problem(400);

    let too_large = vec![b' '; 2 * 1024 * 1024];
    app.send(Method::POST, "/api/v1/demands", token, &[], Some(("application/json", too_large)))
        .await
        .assert_problem(413);

    app.get("/api/v1/nothing-here", &clerk).await.assert_problem(404);
    app.send(Method::GET, "/nowhere", None, &[], None).await.assert_problem(404);
    app.send(Method::DELETE, "/api/v1/demands", token, &[], None).await.assert_problem(405);
    app.send(Method::PUT, "/api/v1/units/lu", token, &[], None).await.assert_problem(405);
    app.get("/api/v1/demands/not-a-uuid", &clerk).await.assert_problem(400);
    app.get("/api/v1/demands?limit=ten", &clerk).await.assert_problem(400);
    app.get(&format!("/api/v1/demands/{}", uuid::Uuid::new_v4()), &clerk).await.assert_problem(404);

    // The error paths wrote nothing.
    assert_eq!(app.get("/api/v1/demands", &app.officer()).await.body["total"], 0);
    let valid = app.send(Method::POST, "/api/v1/demands", token, &[], Some(("application/json", body))).await;
    assert_eq!(valid.status, 201, "{}", valid.text);
    assert_eq!(
        app.get("/api/v1/audit", &app.officer()).await.body["items"].as_array().unwrap().last().unwrap()["action"],
        json!("demand.created")
    );
}
