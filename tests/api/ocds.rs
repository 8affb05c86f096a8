use std::collections::HashSet;

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(exports_of_every_state_are_valid_ocds_releases);

const SCHEMA: &str = include_str!("../data/ocds/release-schema-1.1.5.json");

fn codelist(text: &str) -> HashSet<String> {
    text.lines().skip(1).filter_map(|line| line.split(',').next()).map(str::to_owned).collect()
}

fn assert_valid(release: &Value) {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the OCDS schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(release).map(|error| format!("{} at {}", error, error.instance_path)).collect();
    assert!(errors.is_empty(), "not a valid OCDS release: {errors:#?}\n{release:#}");
    let closed = [
        (
            "releaseTag.csv",
            release["tag"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect::<Vec<_>>(),
        ),
        ("method.csv", vec![release["tender"]["procurementMethod"].as_str().unwrap().to_owned()]),
        ("tenderStatus.csv", vec![release["tender"]["status"].as_str().unwrap().to_owned()]),
        (
            "itemClassificationScheme.csv",
            vec![release["tender"]["items"][0]["classification"]["scheme"].as_str().unwrap().to_owned()],
        ),
        (
            "partyRole.csv",
            release["parties"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|p| p["roles"].as_array().unwrap().clone())
                .map(|r| r.as_str().unwrap().to_owned())
                .collect(),
        ),
    ];
    for (file, codes) in closed {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ocds").join(file);
        let allowed = codelist(&std::fs::read_to_string(path).unwrap());
        for code in codes {
            assert!(allowed.contains(&code), "{code} is not in {file}");
        }
    }
}

async fn generate_laptops(app: &TestApp) -> Vec<String> {
    for (unit, needed_by) in [("buwd-vif", "2030-03-31"), ("kg", "2030-04-30"), ("luks", "2030-05-31")] {
        let body = json!({"category": "pc", "spec": {"form_factor": "laptop", "os": "windows", "ram_gb": 16, "storage_gb": 512},
                          "quantity": 80, "unit_price_chf": 1500, "needed_by": needed_by});
        app.create_demand(&app.unit(unit), &body).await;
    }
    let reply = app.post("/api/v1/proposals/generate", &app.officer(), &json!({})).await;
    reply.body["proposals"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect()
}

async fn act(app: &TestApp, id: &str, verb: &str, body: Value) {
    let reply = app.post(&format!("/api/v1/proposals/{id}/{verb}"), &app.officer(), &body).await;
    assert_eq!(reply.status, 200, "{verb}: {}", reply.text);
}

async fn export(app: &TestApp, id: &str) -> Value {
    let reply = app.get(&format!("/api/v1/proposals/{id}/ocds"), &app.integration()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_valid(&reply.body);
    reply.body
}

async fn exports_of_every_state_are_valid_ocds_releases(app: TestApp) {
    app.seed_units().await;
    let id = generate_laptops(&app).await.remove(0);
    let draft = export(&app, &id).await;
    assert_eq!(draft["ocid"], format!("ocds-tenderpool-{id}"));
    assert_eq!(draft["tag"], json!(["planning"]));
    assert_eq!(draft["tender"]["status"], "planned");
    assert_eq!(draft["tender"]["procurementMethod"], "open");
    assert!(draft["tender"]["procurementMethodDetails"].as_str().unwrap().contains("offenes Verfahren"));
    assert_eq!(draft["tender"]["value"], json!({"amount": 360_000, "currency": "CHF"}));
    assert_eq!(draft["tender"]["items"][0]["classification"], json!({"scheme": "CPV", "id": "30213100-6"}));
    assert_eq!(draft["tender"]["items"][0]["quantity"], 240);
    // Open, treaty area, PCs: published 40 + 30 + 20 + 30 days before 31 March; 40 days for offers.
    assert_eq!(draft["tender"]["tenderPeriod"]["startDate"], "2029-12-01T00:00:00Z");
    assert_eq!(draft["tender"]["tenderPeriod"]["endDate"], "2030-01-10T00:00:00Z");
    let roles: Vec<(String, String)> = draft["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap().to_owned(), p["roles"][0].as_str().unwrap().to_owned()))
        .collect();
    for buyer in ["buwd-vif", "kg", "luks"] {
        assert!(roles.contains(&(buyer.to_owned(), "buyer".to_owned())), "{buyer} is a buyer");
    }
    assert!(roles.contains(&("coordination-office".to_owned(), "procuringEntity".to_owned())));
    assert_eq!(draft["buyer"]["id"], "lu", "the canton pays the largest share");

    act(&app, &id, "approve", json!({})).await;
    assert_eq!(export(&app, &id).await["tag"], json!(["planning"]));
    act(&app, &id, "tender", json!({"reference": "simap 1 234 567"})).await;
    let tendered = export(&app, &id).await;
    assert_eq!((tendered["tag"].clone(), tendered["tender"]["status"].clone()), (json!(["tender"]), json!("active")));
    act(&app, &id, "award", json!({"supplier": "Muster Informatik AG", "awarded_value_chf": 330_000})).await;
    let awarded = export(&app, &id).await;
    assert_eq!(awarded["tag"], json!(["award"]));
    assert_eq!(awarded["awards"][0]["value"], json!({"amount": 330_000, "currency": "CHF"}));
    assert_eq!(awarded["awards"][0]["suppliers"][0]["name"], "Muster Informatik AG");
    assert_ne!(awarded["id"], draft["id"], "each release has its own id");

    // Rejected and cancelled proposals export too.
    for (unit, needed_by) in [("fd-dii", "2031-03-31"), ("kg", "2031-04-30")] {
        let car = json!({"category": "vehicle", "spec": {"class": "van", "drive": "electric", "seats": 3, "all_wheel_drive": false},
                         "quantity": 1, "unit_price_chf": 50_000, "needed_by": needed_by});
        app.create_demand(&app.unit(unit), &car).await;
    }
    let vans = generate_laptops_again_for_vans(&app).await;
    act(&app, &vans, "reject", json!({"reason": "framework contract"})).await;
    assert_eq!(export(&app, &vans).await["tender"]["status"], "withdrawn");
    let vans = generate_laptops_again_for_vans(&app).await;
    act(&app, &vans, "approve", json!({})).await;
    act(&app, &vans, "cancel", json!({"reason": "budget cut"})).await;
    let cancelled = export(&app, &vans).await;
    assert_eq!(
        (cancelled["tag"].clone(), cancelled["tender"]["procurementMethod"].clone()),
        (json!(["tenderCancellation"]), json!("direct"))
    );

    app.get(&format!("/api/v1/proposals/{id}/ocds"), &app.unit("fd-dii")).await.assert_problem(404);
    assert_eq!(app.get(&format!("/api/v1/proposals/{id}/ocds"), &app.unit("kg")).await.status, 200);
}

/// Generates again and returns the van proposal's id.
async fn generate_laptops_again_for_vans(app: &TestApp) -> String {
    let reply = app.post("/api/v1/proposals/generate", &app.officer(), &json!({})).await;
    let vans = reply.body["proposals"].as_array().unwrap().iter().find(|p| p["category"] == "vehicle").unwrap().clone();
    vans["id"].as_str().unwrap().to_owned()
}

#[test]
fn the_schema_check_catches_a_broken_release() {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let valid = json!({"ocid": "ocds-x-1", "id": "1", "date": "2030-01-01T00:00:00Z", "tag": ["planning"], "initiationType": "tender"});
    assert!(validator.is_valid(&valid));
    for broken in [
        json!({"id": "1", "date": "2030-01-01T00:00:00Z", "tag": ["planning"], "initiationType": "tender"}),
        json!({"ocid": "o", "id": "1", "date": "2030-01-01T00:00:00Z", "tag": "planning", "initiationType": "tender"}),
        json!({"ocid": "o", "id": "1", "date": "2030-01-01T00:00:00Z", "tag": ["planning"], "initiationType": "tender",
               "tender": {"id": "t", "value": {"amount": "lots", "currency": "CHF"}}}),
    ] {
        assert!(!validator.is_valid(&broken), "{broken}");
    }
}
