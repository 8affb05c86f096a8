use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    admins_create_units_and_every_role_reads_them,
    only_admins_create_units,
    unit_bodies_are_validated_field_by_field,
);

async fn admins_create_units_and_every_role_reads_them(app: TestApp) {
    app.seed_units().await;
    let created = app
        .post(
            "/api/v1/units",
            &app.admin(),
            &json!({"id": "luks-it", "name": "LUKS Informatik", "kind": "office", "parent_id": "luks"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.header("location"), Some("/api/v1/units/luks-it"));
    assert_eq!(created.body["legal_entity_id"], "luks", "an outsourced parent is its own legal entity");

    for token in [app.admin(), app.officer(), app.integration(), app.unit("buwd-vif")] {
        let list = app.get("/api/v1/units", &token).await;
        assert_eq!(list.status, 200);
        let ids: Vec<&str> = list.body["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["buwd", "buwd-vif", "fd-dii", "kg", "lu", "luks", "luks-it"]);
    }
    let office = app.get("/api/v1/units/buwd-vif", &app.unit("kg")).await;
    assert_eq!(office.status, 200);
    assert_eq!(office.body["parent_id"], "buwd");
    assert_eq!(office.body["legal_entity_id"], "lu", "an office belongs to the canton at the top");
    assert_eq!(office.body["kind"], "office");
    assert_eq!(office.body["active"], true);
    app.get("/api/v1/units/nowhere", &app.officer()).await.assert_problem(404);
}

async fn only_admins_create_units(app: TestApp) {
    let body = json!({"id": "lu", "name": "Kanton Luzern", "kind": "other"});
    for token in [app.officer(), app.integration()] {
        app.post("/api/v1/units", &token, &body).await.assert_problem(403);
    }
    assert_eq!(app.get("/api/v1/units", &app.admin()).await.body["items"], json!([]));
    assert_eq!(app.post("/api/v1/units", &app.admin(), &body).await.status, 201);
    app.post("/api/v1/units", &app.admin(), &body).await.assert_problem(409);
    let neighbour = json!({"id": "ur", "name": "Kanton Uri", "kind": "other"});
    app.post("/api/v1/units", &app.unit("lu"), &neighbour).await.assert_problem(403);
}

async fn unit_bodies_are_validated_field_by_field(app: TestApp) {
    let reply = app
        .post("/api/v1/units", &app.admin(), &json!({"id": "Not A Slug", "kind": "ministry", "colour": "blue"}))
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.error_fields(), ["id", "name", "kind", "colour"]);

    let orphan = app
        .post(
            "/api/v1/units",
            &app.admin(),
            &json!({"id": "buwd", "name": "BUWD", "kind": "department", "parent_id": "lu"}),
        )
        .await;
    orphan.assert_problem(422);
    assert_eq!(orphan.error_fields(), ["parent_id"]);
}
