use awc::http::Method;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::{laptop, TestApp, SECRET};
use crate::on_both_backends;

on_both_backends!(
    every_answer_carries_security_headers_and_no_cors,
    a_unit_probing_another_unit_gets_nothing,
    hostile_strings_are_stored_verbatim,
    a_token_for_a_unit_that_does_not_exist_is_refused,
);

async fn a_token_for_a_unit_that_does_not_exist_is_refused(app: TestApp) {
    app.seed_units().await;
    app.create_demand(&app.unit("kg"), &laptop(3, 1000, "2030-01-31")).await;
    let ghost = app.unit("ghost");
    for path in ["/api/v1/demands", "/api/v1/proposals", "/api/v1/units"] {
        app.get(path, &ghost).await.assert_problem(401);
    }
    app.post_demand(&ghost, &laptop(1, 1000, "2030-01-31")).await.assert_problem(401);
    let csv = "category,quantity,unit_price_chf,needed_by,form_factor,os,ram_gb,storage_gb\npc,1,1000,2030-01-31,laptop,windows,16,512\n";
    let import = app
        .send(Method::POST, "/api/v1/demands/import", Some(&ghost), &[], Some(("text/csv", csv.as_bytes().to_vec())))
        .await;
    import.assert_problem(401);
    assert_eq!(app.get("/api/v1/demands", &app.officer()).await.body["total"], 1, "nothing was written");

    // Once the unit is created, the same token works.
    let created = app
        .post(
            "/api/v1/units",
            &app.admin(),
            &json!({"id": "ghost", "name": "Geisterbahn", "kind": "office", "parent_id": "lu"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(app.get("/api/v1/demands", &ghost).await.status, 200);
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn every_answer_carries_security_headers_and_no_cors(app: TestApp) {
    let origin = [("origin", "https://evil.example")];
    for (method, path, token) in [
        (Method::GET, "/health", None),
        (Method::GET, "/api/v1/units", Some(app.officer())),
        (Method::GET, "/api/v1/units", None),
        (Method::GET, "/nowhere", None),
    ] {
        let reply = app.send(method, path, token.as_deref(), &origin, None).await;
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(reply.header("access-control-allow-origin"), None, "CORS is off by default");
    }
    let preflight = app
        .send(
            Method::OPTIONS,
            "/api/v1/demands",
            None,
            &[("origin", "https://evil.example"), ("access-control-request-method", "POST")],
            None,
        )
        .await;
    assert_eq!(preflight.header("access-control-allow-origin"), None);
    // A token that is not valid yet is refused like an expired one.
    let future = json!({"sub": "x", "role": "officer", "iat": now(), "nbf": now() + 3600, "exp": now() + 7200});
    let token = encode(&Header::new(Algorithm::HS256), &future, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap();
    app.get("/api/v1/units", &token).await.assert_problem(401);
}

async fn a_unit_probing_another_unit_gets_nothing(app: TestApp) {
    app.seed_units().await;
    for (unit, needed_by) in [("buwd-vif", "2030-03-31"), ("fd-dii", "2030-04-30")] {
        app.create_demand(&app.unit(unit), &laptop(60, 1500, needed_by)).await;
    }
    let secret_demand = app.create_demand(&app.unit("buwd-vif"), &laptop(1, 999, "2030-05-31")).await;
    let proposal =
        app.post("/api/v1/proposals/generate", &app.officer(), &json!({})).await.body["proposals"][0].clone();
    let spy = app.unit("kg");
    let demand_path = format!("/api/v1/demands/{}", secret_demand["id"].as_str().unwrap());
    let proposal_id = proposal["id"].as_str().unwrap();
    for path in [
        demand_path.clone(),
        format!("/api/v1/proposals/{proposal_id}"),
        format!("/api/v1/proposals/{proposal_id}/ocds"),
    ] {
        let reply = app.get(&path, &spy).await;
        reply.assert_problem(404);
        assert!(!reply.text.contains("buwd-vif"), "no data in the error: {}", reply.text);
    }
    let audit = format!("/api/v1/audit?entity_id={proposal_id}");
    for path in [audit.as_str(), "/api/v1/reports/synergies", "/api/v1/reports/splitting", "/api/v1/webhooks"] {
        app.get(path, &spy).await.assert_problem(403);
    }
    assert_eq!(app.get("/api/v1/demands?unit_id=buwd-vif", &spy).await.body["items"], json!([]));
    assert_eq!(app.get("/api/v1/proposals", &spy).await.body["items"], json!([]));
    let csv = app.send(Method::GET, "/api/v1/demands", Some(&spy), &[("accept", "text/csv")], None).await;
    assert!(!csv.text.contains("buwd-vif"));
    app.patch(&demand_path, &spy, &[], &json!({"quantity": 2})).await.assert_problem(404);
    app.post(&format!("/api/v1/proposals/{proposal_id}/approve"), &spy, &json!({})).await.assert_problem(403);
}

async fn hostile_strings_are_stored_verbatim(app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("kg");
    let injection = "'; DROP TABLE demands; --";
    let unicode = "Büro \u{202e}gnirts\u{202c} 🚗 <script>alert(1)</script>";
    let mut body = laptop(1, 1000, "2030-01-31");
    body["delivery_site"] = json!(injection);
    body["justification"] = json!(unicode);
    let created = app.create_demand(&clerk, &body).await;
    let read = app.get(&format!("/api/v1/demands/{}", created["id"].as_str().unwrap()), &clerk).await;
    assert_eq!(read.body["delivery_site"], injection);
    assert_eq!(read.body["justification"], unicode);
    assert_eq!(app.get("/api/v1/demands", &app.officer()).await.body["total"], 1, "the table is still there");

    let mut huge = laptop(1, 1000, "2030-01-31");
    huge["justification"] = json!("x".repeat(2001));
    huge["delivery_site"] = json!("y".repeat(100_000));
    let refused = app.post_demand(&clerk, &huge).await;
    refused.assert_problem(422);
    assert_eq!(refused.error_fields(), ["delivery_site", "justification"]);
    let giant = vec![b'['; 3 * 1024 * 1024];
    app.send(Method::POST, "/api/v1/demands", Some(&clerk), &[], Some(("application/json", giant)))
        .await
        .assert_problem(413);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes();
    let reply = app.send(Method::POST, "/api/v1/demands", Some(&clerk), &[], Some(("application/json", deep))).await;
    assert!(matches!(reply.status, 400 | 422), "deep nesting is refused, not a crash: {}", reply.status);
}
