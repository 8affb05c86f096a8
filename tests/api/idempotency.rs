use serde_json::json;

use crate::helpers::{laptop, TestApp};
use crate::on_both_backends;

on_both_backends!(the_same_idempotency_key_creates_once, concurrent_retries_with_one_key_create_once);

async fn the_same_idempotency_key_creates_once(app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("buwd-vif");
    let key = [("idempotency-key", "order-2027-laptops")];
    let body = laptop(40, 1400, "2027-03-31");

    let first = app.post_with("/api/v1/demands", &clerk, &key, &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = app.post_with("/api/v1/demands", &clerk, &key, &body).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body, "the first answer, again");
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(app.get("/api/v1/demands", &clerk).await.body["total"], 1, "one demand");

    let other_body = app.post_with("/api/v1/demands", &clerk, &key, &laptop(41, 1400, "2027-03-31")).await;
    other_body.assert_problem(409);

    // Keys are per caller: another unit's identical key is its own.
    let other_unit = app.post_with("/api/v1/demands", &app.unit("fd-dii"), &key, &body).await;
    assert_eq!(other_unit.status, 201);
    assert_ne!(other_unit.body["id"], first.body["id"]);
    assert_eq!(app.get("/api/v1/demands", &app.officer()).await.body["total"], 2);
}

async fn concurrent_retries_with_one_key_create_once(app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("buwd-vif");
    let key = [("idempotency-key", "burst")];
    let body = json!({"category": "printer", "spec": {"format": "a4", "color": true, "multifunction": true, "pages_per_minute": 30},
                      "quantity": 12, "unit_price_chf": 2200, "needed_by": "2027-08-01"});
    let (first, second) = futures_util::future::join(
        app.post_with("/api/v1/demands", &clerk, &key, &body),
        app.post_with("/api/v1/demands", &clerk, &key, &body),
    )
    .await;
    for reply in [&first, &second] {
        // The loser either replays the winner's answer or is told to retry (409).
        assert!(matches!(reply.status, 201 | 409), "{}", reply.text);
    }
    assert!(first.status == 201 || second.status == 201);
    assert_eq!(app.get("/api/v1/demands", &clerk).await.body["total"], 1, "exactly one demand");
    let retry = app.post_with("/api/v1/demands", &clerk, &key, &body).await;
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
}
