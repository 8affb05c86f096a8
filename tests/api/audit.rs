use serde_json::json;

use crate::helpers::{laptop, TestApp};
use crate::on_both_backends;

on_both_backends!(every_change_is_audited_with_its_actor);

async fn every_change_is_audited_with_its_actor(app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("buwd-vif");
    let mut body = laptop(5, 1000, "2027-03-31");
    body["status"] = json!("draft");
    let demand = app.create_demand(&clerk, &body).await;
    let id = demand["id"].as_str().unwrap();
    let path = format!("/api/v1/demands/{id}");
    assert_eq!(app.patch(&path, &clerk, &[], &json!({"quantity": 6})).await.status, 200);
    assert_eq!(app.post(&format!("{path}/submit"), &clerk, &json!({})).await.status, 200);
    app.patch(&path, &clerk, &[], &json!({"quantity": 0})).await.assert_problem(422);

    let audit = app.get(&format!("/api/v1/audit?entity_id={id}"), &app.officer()).await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    assert_eq!(audit.body["total"], 3, "the refused patch left no entry");
    let entries = audit.body["items"].as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|entry| entry["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["demand.created", "demand.updated", "demand.submitted"]);
    for entry in entries {
        assert_eq!(entry["actor"], "unit-user");
        assert_eq!(entry["actor_role"], "unit");
        assert_eq!(entry["entity_type"], "demand");
    }
    assert_eq!(entries[1]["detail"]["patch"], json!({"quantity": 6}));
    assert_eq!(entries[2]["detail"], json!({"from": "draft", "to": "submitted"}));

    let all = app.get("/api/v1/audit?limit=2", &app.admin()).await;
    assert_eq!(all.body["total"], 9, "six units and three demand changes");
    assert_eq!(all.body["items"][0]["action"], "unit.created");
    for forbidden in [clerk, app.integration()] {
        app.get("/api/v1/audit", &forbidden).await.assert_problem(403);
    }
}
