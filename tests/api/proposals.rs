use std::collections::HashSet;

use serde_json::{json, Value};

use crate::helpers::{Reply, TestApp};
use crate::on_both_backends;

on_both_backends!(
    three_small_laptop_orders_together_need_an_open_procedure,
    generating_twice_gives_the_same_proposals,
    the_officer_approves_rejects_and_regenerates,
    the_officer_tenders_awards_and_cancels,
    approval_is_refused_when_demand_changed_after_generation,
    two_concurrent_approvals_have_one_winner,
    two_concurrent_generations_leave_each_line_in_one_proposal,
    roles_see_and_do_what_the_design_allows,
    the_demo_year_bundles_into_meaningful_proposals,
);

async fn the_demo_year_bundles_into_meaningful_proposals(app: TestApp) {
    app.seed_demo(2030, 1500);
    let submitted =
        app.get("/api/v1/demands?status=submitted&limit=1", &app.officer()).await.body["total"].as_i64().unwrap();
    let reply = generate(&app, &json!({"budget_year": 2030})).await;
    let proposals = reply.body["proposals"].as_array().unwrap();
    assert!(proposals.len() >= 10, "the demo has many bundles: {}", proposals.len());
    let mut lines = 0;
    for proposal in proposals {
        assert!(proposal["unit_ids"].as_array().unwrap().len() >= 2);
        lines += proposal["lines"].as_array().unwrap().len();
    }
    let unbundled = reply.body["unbundled"].as_array().unwrap().len();
    assert_eq!(i64::try_from(lines + unbundled).unwrap(), submitted, "every submitted line is accounted for");
    assert!(proposals.iter().any(|p| p["procedure"] == "open"), "some bundles need an open procedure");
    let splitting = app.get("/api/v1/reports/splitting?budget_year=2030", &app.officer()).await;
    assert!(splitting.body["risks"].as_i64().unwrap() > 0);
}

fn laptops(ram_gb: u64, storage_gb: u64, needed_by: &str) -> Value {
    json!({
        "category": "pc",
        "spec": {"form_factor": "laptop", "os": "windows", "ram_gb": ram_gb, "storage_gb": storage_gb},
        "quantity": 60, "unit_price_chf": 1500, "needed_by": needed_by,
    })
}

/// Three units of the canton each plan CHF 90 000 of laptops (direct award alone), plus two
/// lines that cannot be bundled. Dates lie in 2030 so no deadline is ever tight.
async fn plan_laptops(app: &TestApp) -> Vec<String> {
    app.seed_units().await;
    let mut ids = Vec::new();
    for (unit, ram, storage, needed_by) in
        [("buwd-vif", 16, 512, "2030-03-31"), ("fd-dii", 12, 400, "2030-05-15"), ("kg", 16, 512, "2030-06-30")]
    {
        ids.push(
            app.create_demand(&app.unit(unit), &laptops(ram, storage, needed_by)).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids
}

async fn generate(app: &TestApp, body: &Value) -> Reply {
    let reply = app.post("/api/v1/proposals/generate", &app.officer(), body).await;
    assert_eq!(reply.status, 200, "generate: {}", reply.text);
    reply
}

fn codes(proposal: &Value) -> Vec<&str> {
    proposal["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect()
}

async fn three_small_laptop_orders_together_need_an_open_procedure(app: TestApp) {
    let ids = plan_laptops(&app).await;
    let thin_client = json!({"category": "pc", "spec": {"form_factor": "thin_client", "os": "linux", "ram_gb": 8, "storage_gb": 64},
                             "quantity": 30, "unit_price_chf": 600, "needed_by": "2030-04-01"});
    let incompatible = app.create_demand(&app.unit("luks"), &thin_client).await;
    let printer = json!({"category": "printer", "spec": {"format": "a3", "color": true, "multifunction": true, "pages_per_minute": 50},
                         "quantity": 2, "unit_price_chf": 9000, "needed_by": "2030-04-01"});
    let alone = app.create_demand(&app.unit("kg"), &printer).await;

    let reply = generate(&app, &json!({})).await;
    let proposals = reply.body["proposals"].as_array().unwrap();
    assert_eq!(proposals.len(), 1, "{}", reply.text);
    let proposal = &proposals[0];
    assert_eq!(proposal["status"], "draft");
    assert_eq!(proposal["category"], "pc");
    assert_eq!(proposal["cpv"], "30213100-6");
    assert_eq!(proposal["unit_ids"], json!(["buwd-vif", "fd-dii", "kg"]));
    assert_eq!(proposal["total_quantity"], 180);
    assert_eq!(proposal["estimated_value_chf"], 270_000);
    assert_eq!(proposal["procedure"], "open");
    assert_eq!(proposal["procedure_reason"], "CHF 270'000 ≥ CHF 250'000: open procedure");
    assert_eq!(proposal["treaty_area"], false);
    assert_eq!(proposal["lead_entity_id"], "lu");
    assert_eq!(proposal["spec"], json!({"form_factor": "laptop", "os": "windows", "ram_gb": 16, "storage_gb": 512}));
    assert_eq!(proposal["needed_by"], "2030-03-31");
    // Open, outside the treaty area, PCs: 20 offer + 30 award + 20 appeal + 30 delivery days.
    assert_eq!(proposal["tender_start_by"], "2029-12-21");
    assert_eq!(codes(proposal), ["threshold_crossed"]);
    let lines: Vec<&str> =
        proposal["lines"].as_array().unwrap().iter().map(|l| l["demand_id"].as_str().unwrap()).collect();
    assert_eq!(lines, ids, "lines by needed_by");
    // 180 pieces earn 6.60 %, 60 pieces alone 4.20 %: 3 × 90 000 × 2.40 % extra discount;
    // three direct awards (3 × 1 500) replaced by one open procedure (15 000).
    let savings = &proposal["savings_breakdown"];
    assert_eq!(savings["volume_discount_chf"], 6_480);
    assert_eq!(savings["process_cost_chf"], -10_500);
    assert_eq!(proposal["estimated_savings_chf"], 6_480 - 10_500);
    assert!(savings["assumptions"].as_array().unwrap().len() >= 3);

    let unbundled: Vec<(String, String)> = reply.body["unbundled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["demand_id"].as_str().unwrap().to_owned(), u["reason"].as_str().unwrap().to_owned()))
        .collect();
    assert!(unbundled.contains(&(incompatible["id"].as_str().unwrap().to_owned(), "incompatible".to_owned())));
    assert!(unbundled.contains(&(alone["id"].as_str().unwrap().to_owned(), "no_partner".to_owned())));
    assert_eq!(unbundled.len(), 2);

    let splitting = app.get("/api/v1/reports/splitting?budget_year=2030", &app.officer()).await;
    assert_eq!(splitting.status, 200, "{}", splitting.text);
    assert_eq!(splitting.body["risks"], 1);
    let pcs = splitting.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["legal_entity_id"] == "lu" && e["category"] == "pc")
        .unwrap();
    assert_eq!(pcs["total_chf"], 270_000);
    assert_eq!(pcs["procedure_together"], "open");
    assert_eq!(pcs["crossed_threshold_chf"], 250_000);
    assert!(pcs["units"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["procedure_alone"] == "direct" && u["value_chf"] == 90_000));
}

/// A proposal without what changes from one generation to the next.
fn essence(proposal: &Value) -> Value {
    let mut copy = proposal.clone();
    for volatile in ["id", "created_at", "updated_at"] {
        copy.as_object_mut().unwrap().remove(volatile);
    }
    copy
}

async fn generating_twice_gives_the_same_proposals(app: TestApp) {
    plan_laptops(&app).await;
    for (unit, needed_by) in [("buwd-vif", "2030-09-01"), ("luks", "2030-10-01")] {
        let car = json!({"category": "vehicle", "spec": {"class": "van", "drive": "electric", "seats": 3, "all_wheel_drive": false},
                         "quantity": 2, "unit_price_chf": 55_000, "needed_by": needed_by});
        app.create_demand(&app.unit(unit), &car).await;
    }
    let first = generate(&app, &json!({"window_days": 180})).await;
    let second = generate(&app, &json!({"window_days": 180})).await;
    let essences = |reply: &Reply| reply.body["proposals"].as_array().unwrap().iter().map(essence).collect::<Vec<_>>();
    assert_eq!(essences(&first).len(), 2);
    assert_eq!(essences(&first), essences(&second));
    assert_eq!(first.body["unbundled"], second.body["unbundled"]);
    let van = &first.body["proposals"][0];
    assert_eq!(
        (van["category"].as_str(), van["procedure"].as_str()),
        (Some("vehicle"), Some("invitation")),
        "4 × 55 000"
    );
    assert_eq!(codes(van), ["joint_authorities"], "the canton and the hospital buy together");

    let listed = app.get("/api/v1/proposals", &app.officer()).await;
    assert_eq!(listed.body["total"], 2, "the first generation's drafts were replaced");
    let listed_ids: Vec<&Value> = listed.body["items"].as_array().unwrap().iter().map(|p| &p["id"]).collect();
    let second_ids: Vec<&Value> = second.body["proposals"].as_array().unwrap().iter().map(|p| &p["id"]).collect();
    assert_eq!(listed_ids, second_ids);
    let narrow = generate(&app, &json!({"window_days": 30, "min_units": 2})).await;
    assert_eq!(narrow.body["proposals"].as_array().unwrap().len(), 1, "only the vans lie within 30 days");
    assert!(narrow.body["unbundled"].as_array().unwrap().iter().all(|u| u["reason"] == "outside_window"));
    let invalid = app
        .post("/api/v1/proposals/generate", &app.officer(), &json!({"window_days": 0, "min_units": "two", "colour": 1}))
        .await;
    invalid.assert_problem(422);
    assert_eq!(invalid.error_fields(), ["window_days", "min_units", "colour"]);
}

async fn action(app: &TestApp, id: &str, verb: &str, body: &Value) -> Reply {
    app.post(&format!("/api/v1/proposals/{id}/{verb}"), &app.officer(), body).await
}

/// The laptops plus two units' printers, generated: (laptop demand ids, printers, laptops).
async fn plan_laptops_and_printers(app: &TestApp) -> (Vec<String>, Value, Value) {
    let ids = plan_laptops(app).await;
    let printer = |unit_price: u64| {
        json!({"category": "printer", "spec": {"format": "a4", "color": true, "multifunction": true, "pages_per_minute": 30},
               "quantity": 5, "unit_price_chf": unit_price, "needed_by": "2030-02-01"})
    };
    app.create_demand(&app.unit("kg"), &printer(2000)).await;
    app.create_demand(&app.unit("fd-dii"), &printer(2200)).await;
    let generated = generate(app, &json!({"budget_year": 2030})).await;
    let printers = generated.body["proposals"][0].clone();
    let laptops = generated.body["proposals"][1].clone();
    assert_eq!((printers["category"].as_str(), laptops["category"].as_str()), (Some("printer"), Some("pc")));
    (ids, printers, laptops)
}

async fn the_officer_approves_rejects_and_regenerates(app: TestApp) {
    let (ids, printers, laptops) = plan_laptops_and_printers(&app).await;
    let laptop_id = laptops["id"].as_str().unwrap();
    let printer_id = printers["id"].as_str().unwrap();

    let stale = app
        .post_with(
            &format!("/api/v1/proposals/{laptop_id}/approve"),
            &app.officer(),
            &[("if-match", "\"7\"")],
            &json!({}),
        )
        .await;
    stale.assert_problem(412);
    let approved = action(&app, laptop_id, "approve", &json!({"comment": "Good bundle"})).await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["version"], 2);
    assert_eq!(approved.body["decision"]["action"], "approve");
    assert_eq!(approved.body["decision"]["by"], "officer-user");
    assert_eq!(approved.body["decision"]["comment"], "Good bundle");
    action(&app, laptop_id, "approve", &json!({})).await.assert_problem(409);

    let clerk = app.unit("buwd-vif");
    let line = app.get(&format!("/api/v1/demands/{}", ids[0]), &clerk).await;
    assert_eq!((line.body["status"].as_str(), line.body["proposal_id"].as_str()), (Some("bundled"), Some(laptop_id)));
    app.patch(&format!("/api/v1/demands/{}", ids[0]), &clerk, &[], &json!({"quantity": 1})).await.assert_problem(409);
    app.post(&format!("/api/v1/demands/{}/withdraw", ids[0]), &clerk, &json!({})).await.assert_problem(409);

    let missing_reason = action(&app, printer_id, "reject", &json!({})).await;
    missing_reason.assert_problem(422);
    assert_eq!(missing_reason.error_fields(), ["reason"]);
    let rejected =
        action(&app, printer_id, "reject", &json!({"reason": "Printers come from the framework contract"})).await;
    assert_eq!((rejected.status, rejected.body["status"].as_str()), (200, Some("rejected")));
    assert_eq!(rejected.body["decision"]["reason"], "Printers come from the framework contract");

    // Regenerating leaves the approved proposal alone and bundles the rejected demand anew.
    let again = generate(&app, &json!({"budget_year": 2030})).await;
    let new_drafts = again.body["proposals"].as_array().unwrap();
    assert_eq!(new_drafts.len(), 1);
    assert_eq!(new_drafts[0]["category"], "printer");
    let still = app.get(&format!("/api/v1/proposals/{laptop_id}"), &app.officer()).await;
    assert_eq!((still.body["status"].as_str(), still.body["version"].as_i64()), (Some("approved"), Some(2)));
    assert_eq!(app.get(&format!("/api/v1/proposals/{printer_id}"), &app.officer()).await.body["status"], "rejected");
}

async fn the_officer_tenders_awards_and_cancels(app: TestApp) {
    let (_, printers, laptops) = plan_laptops_and_printers(&app).await;
    let laptop_id = laptops["id"].as_str().unwrap();
    assert_eq!(action(&app, laptop_id, "approve", &json!({})).await.status, 200);
    action(&app, laptop_id, "award", &json!({"supplier": "X", "awarded_value_chf": 1})).await.assert_problem(409);
    action(&app, laptop_id, "tender", &json!({})).await.assert_problem(422);
    let tendered = action(&app, laptop_id, "tender", &json!({"reference": "simap 1 234 567"})).await;
    assert_eq!(
        (tendered.body["status"].as_str(), tendered.body["tender_reference"].as_str()),
        (Some("tendered"), Some("simap 1 234 567"))
    );
    let awarded =
        action(&app, laptop_id, "award", &json!({"supplier": "Muster Informatik AG", "awarded_value_chf": 251_000}))
            .await;
    assert_eq!(awarded.status, 200, "{}", awarded.text);
    assert_eq!(awarded.body["status"], "awarded");
    assert_eq!(awarded.body["realised_savings_chf"], 19_000);
    let stored = app.get(&format!("/api/v1/proposals/{laptop_id}"), &app.officer()).await;
    assert_eq!(stored.body, awarded.body, "the answer is what was stored, the tender reference kept");
    action(&app, laptop_id, "cancel", &json!({"reason": "too late"})).await.assert_problem(409);

    // Cancelling an approved proposal returns its demand to submitted.
    let printer_draft = printers["id"].as_str().unwrap();
    assert_eq!(action(&app, printer_draft, "approve", &json!({})).await.status, 200);
    action(&app, printer_draft, "cancel", &json!({})).await.assert_problem(422);
    let cancelled = action(&app, printer_draft, "cancel", &json!({"reason": "Budget cut"})).await;
    assert_eq!(cancelled.body["status"], "cancelled");
    let stored = app.get(&format!("/api/v1/proposals/{printer_draft}"), &app.officer()).await;
    assert_eq!(stored.body, cancelled.body, "the answer is what was stored");
    let printers_back = app.get("/api/v1/demands?category=printer", &app.officer()).await;
    assert!(printers_back.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["status"] == "submitted" && d["proposal_id"].is_null()));

    let history = app.get(&format!("/api/v1/audit?entity_id={laptop_id}"), &app.officer()).await;
    let actions: Vec<&str> =
        history.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["proposal.generated", "proposal.approved", "proposal.tendered", "proposal.awarded"]);

    assert_synergies_after_award(&app, &laptops).await;
}

/// After the laptops were awarded at CHF 251 000 and the printers cancelled.
async fn assert_synergies_after_award(app: &TestApp, laptops: &Value) {
    let synergies = app.get("/api/v1/reports/synergies?budget_year=2030", &app.officer()).await;
    assert_eq!(synergies.status, 200, "{}", synergies.text);
    let totals = &synergies.body["totals"];
    assert_eq!(totals["demand_value_chf"], 270_000 + 10_000 + 11_000);
    assert_eq!(totals["bundled_value_chf"], 270_000);
    assert_eq!(totals["proposals"], 1);
    assert_eq!(totals["procedures_avoided"], 2);
    assert_eq!(totals["estimated_savings_chf"], laptops["estimated_savings_chf"]);
    assert_eq!(totals["realised_savings_chf"], 19_000);
    let vif = synergies.body["by_unit"].as_array().unwrap().iter().find(|u| u["unit_id"] == "buwd-vif").unwrap();
    assert_eq!(vif["bundled_value_chf"], 90_000);
    assert_eq!(vif["realised_savings_chf"], 19_000 / 3);
}

async fn approval_is_refused_when_demand_changed_after_generation(app: TestApp) {
    let ids = plan_laptops(&app).await;
    let proposal = generate(&app, &json!({})).await.body["proposals"][0].clone();
    let id = proposal["id"].as_str().unwrap();
    let edited =
        app.patch(&format!("/api/v1/demands/{}", ids[1]), &app.unit("fd-dii"), &[], &json!({"quantity": 61})).await;
    assert_eq!(edited.status, 200, "a line in a draft may still change");
    let refused = action(&app, id, "approve", &json!({})).await;
    refused.assert_problem(409);
    assert!(refused.body["detail"].as_str().unwrap().contains("generate again"));
    let after = app.get(&format!("/api/v1/proposals/{id}"), &app.officer()).await;
    assert_eq!(
        (after.body["status"].as_str(), after.body["version"].as_i64()),
        (Some("draft"), Some(1)),
        "nothing half-written"
    );
    let untouched = app.get(&format!("/api/v1/demands/{}", ids[0]), &app.unit("buwd-vif")).await;
    assert_eq!(untouched.body["status"], "submitted");
}

async fn two_concurrent_approvals_have_one_winner(app: TestApp) {
    plan_laptops(&app).await;
    let proposal = generate(&app, &json!({})).await.body["proposals"][0].clone();
    let path = format!("/api/v1/proposals/{}/approve", proposal["id"].as_str().unwrap());
    let officer = app.officer();
    let (first, second) =
        futures_util::future::join(app.post(&path, &officer, &json!({})), app.post(&path, &officer, &json!({}))).await;
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", first.text, second.text);
    let bundled = app.get("/api/v1/demands?status=bundled", &officer).await;
    assert_eq!(bundled.body["total"], 3);
    let audit = app.get(&format!("/api/v1/audit?entity_id={}", proposal["id"].as_str().unwrap()), &officer).await;
    assert_eq!(audit.body["total"], 2, "generated and approved once");
}

async fn two_concurrent_generations_leave_each_line_in_one_proposal(app: TestApp) {
    plan_laptops(&app).await;
    let officer = app.officer();
    let (first, second) = futures_util::future::join(
        app.post("/api/v1/proposals/generate", &officer, &json!({})),
        app.post("/api/v1/proposals/generate", &officer, &json!({})),
    )
    .await;
    // On SQLite the second may find the database busy; it then changes nothing.
    assert!(first.status == 200 || second.status == 200, "{} / {}", first.text, second.text);
    let drafts = app.get("/api/v1/proposals?status=draft", &officer).await;
    assert_eq!(drafts.body["total"], 1, "one generation's drafts survive");
    let mut seen = HashSet::new();
    for proposal in drafts.body["items"].as_array().unwrap() {
        for line in proposal["lines"].as_array().unwrap() {
            assert!(seen.insert(line["demand_id"].as_str().unwrap().to_owned()), "a line in two proposals");
        }
    }
    assert_eq!(seen.len(), 3);
}

async fn roles_see_and_do_what_the_design_allows(app: TestApp) {
    plan_laptops(&app).await;
    app.create_demand(&app.unit("luks"), &laptops(16, 512, "2030-12-31")).await;
    for forbidden in [app.unit("kg"), app.integration()] {
        app.post("/api/v1/proposals/generate", &forbidden, &json!({})).await.assert_problem(403);
    }
    let proposal = generate(&app, &json!({})).await.body["proposals"][0].clone();
    let id = proposal["id"].as_str().unwrap();
    for verb in ["approve", "reject", "tender", "award", "cancel"] {
        for forbidden in [app.unit("kg"), app.integration()] {
            app.post(&format!("/api/v1/proposals/{id}/{verb}"), &forbidden, &json!({"reason": "x"}))
                .await
                .assert_problem(403);
        }
    }
    for reader in [app.integration(), app.admin(), app.officer()] {
        assert_eq!(
            app.get(&format!("/api/v1/proposals/{id}"), &reader).await.body["lines"].as_array().unwrap().len(),
            3
        );
        assert_eq!(app.get("/api/v1/proposals", &reader).await.body["total"], 1);
        for report in ["/api/v1/reports/synergies", "/api/v1/reports/splitting", "/api/v1/settings"] {
            assert_eq!(app.get(report, &reader).await.status, 200, "{report}");
        }
    }
    // A unit sees the proposals holding its demand, and only its own lines in them.
    let kg = app.get(&format!("/api/v1/proposals/{id}"), &app.unit("kg")).await;
    assert_eq!(kg.status, 200);
    let lines = kg.body["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["unit_id"], "kg");
    assert_eq!(kg.body["estimated_value_chf"], 270_000);
    assert_eq!(app.get("/api/v1/proposals", &app.unit("kg")).await.body["total"], 1);
    app.get(&format!("/api/v1/proposals/{id}"), &app.unit("luks")).await.assert_problem(404);
    assert_eq!(app.get("/api/v1/proposals", &app.unit("luks")).await.body["total"], 0);
    for report in ["/api/v1/reports/synergies", "/api/v1/reports/splitting", "/api/v1/settings"] {
        app.get(report, &app.unit("kg")).await.assert_problem(403);
    }
    let settings = app.get("/api/v1/settings", &app.officer()).await;
    assert_eq!(settings.body["thresholds"]["open_chf"], 250_000);
    assert_eq!(settings.body["bundling"]["window_days"], 180);
    assert!(settings.body["thresholds"]["source"].as_str().unwrap().contains("IVöB"));
}
