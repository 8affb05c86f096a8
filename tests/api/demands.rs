use awc::http::Method;
use serde_json::json;

use crate::helpers::{electric_car, laptop, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_unit_creates_reads_and_lists_its_demand,
    lists_filter_and_paginate,
    another_units_demand_is_not_found,
    concurrent_reads_each_get_their_own_demand,
    roles_read_and_write_what_the_design_allows,
    validation_names_every_bad_field_at_once,
    a_patch_changes_only_what_it_names,
    stale_if_match_is_refused,
    two_concurrent_patches_of_one_version_have_one_winner,
    submit_and_withdraw_follow_the_life_cycle,
);

async fn a_unit_creates_reads_and_lists_its_demand(app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("buwd-vif");
    let mut body = laptop(40, 1400, "2027-03-31");
    body["delivery_site"] = json!("Arsenalstrasse 43, Kriens");
    let created = app.post_demand(&clerk, &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let demand = &created.body;
    let location = created.header("location").unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/demands/{}", demand["id"].as_str().unwrap()));
    assert_eq!(demand["unit_id"], "buwd-vif");
    assert_eq!(demand["cpv"], "30213100-6");
    assert_eq!(demand["status"], "submitted");
    assert_eq!(demand["budget_year"], 2027);
    assert_eq!(demand["estimated_value_chf"], 56_000);
    assert_eq!(demand["version"], 1);
    assert_eq!(demand["proposal_id"], json!(null));
    assert_eq!(demand["delivery_site"], "Arsenalstrasse 43, Kriens");

    let read = app.get(&location, &clerk).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(&read.body, demand, "what was created is what is read");

    let list = app.get("/api/v1/demands", &clerk).await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["limit"], 50);
    assert_eq!(list.body["offset"], 0);
    assert_eq!(&list.body["items"][0], demand);
}

async fn lists_filter_and_paginate(app: TestApp) {
    app.seed_units().await;
    let vif = app.unit("buwd-vif");
    let dii = app.unit("fd-dii");
    let mut ids = Vec::new();
    for needed_by in ["2027-01-15", "2027-02-15", "2028-03-15"] {
        ids.push(app.create_demand(&vif, &laptop(5, 1200, needed_by)).await["id"].clone());
    }
    let mut draft_car = electric_car("2027-06-30");
    draft_car["status"] = json!("draft");
    app.create_demand(&dii, &draft_car).await;
    app.create_demand(&dii, &laptop(10, 1300, "2027-05-01")).await;

    let officer = app.officer();
    let total = |reply: &crate::helpers::Reply| reply.body["total"].as_i64().unwrap();
    assert_eq!(total(&app.get("/api/v1/demands", &officer).await), 5);
    assert_eq!(total(&app.get("/api/v1/demands?category=pc", &officer).await), 4);
    assert_eq!(total(&app.get("/api/v1/demands?status=draft", &officer).await), 1);
    assert_eq!(total(&app.get("/api/v1/demands?budget_year=2028", &officer).await), 1);
    assert_eq!(total(&app.get("/api/v1/demands?unit_id=fd-dii&category=pc", &officer).await), 1);

    let page = app.get("/api/v1/demands?unit_id=buwd-vif&limit=2&offset=1", &officer).await;
    assert_eq!(page.body["total"], 3);
    let page_ids: Vec<_> = page.body["items"].as_array().unwrap().iter().map(|d| d["id"].clone()).collect();
    assert_eq!(page_ids, ids[1..3], "pages are in creation order");

    app.get("/api/v1/demands?limit=501", &officer).await.assert_problem(422);
    app.get("/api/v1/demands?offset=-1", &officer).await.assert_problem(422);
    app.get("/api/v1/demands?category=boat", &officer).await.assert_problem(400);
    app.get("/api/v1/demands?colour=red", &officer).await.assert_problem(400);
}

async fn another_units_demand_is_not_found(app: TestApp) {
    app.seed_units().await;
    let owner = app.unit("buwd-vif");
    let other = app.unit("fd-dii");
    let demand = app.create_demand(&owner, &laptop(3, 1500, "2027-04-01")).await;
    let path = format!("/api/v1/demands/{}", demand["id"].as_str().unwrap());

    app.get(&path, &other).await.assert_problem(404);
    app.patch(&path, &other, &[], &json!({"quantity": 4})).await.assert_problem(404);
    app.post(&format!("{path}/withdraw"), &other, &json!({})).await.assert_problem(404);
    app.post(&format!("{path}/submit"), &other, &json!({})).await.assert_problem(404);
    assert_eq!(app.get("/api/v1/demands", &other).await.body["total"], 0);
    assert_eq!(app.get("/api/v1/demands?unit_id=buwd-vif", &other).await.body["total"], 0);

    let mut foreign = laptop(1, 1000, "2027-04-01");
    foreign["unit_id"] = json!("buwd-vif");
    app.post_demand(&other, &foreign).await.assert_problem(403);
    assert_eq!(app.get(&path, &owner).await.body["quantity"], 3, "nothing changed");
}

/// Reads that arrive together are answered together (one query per batch): each caller still
/// gets exactly its own row, and a unit never gets another's.
async fn concurrent_reads_each_get_their_own_demand(app: TestApp) {
    app.seed_units().await;
    let units = ["buwd-vif", "fd-dii"];
    let mut created = Vec::new();
    for (index, unit) in units.iter().cycle().take(12).enumerate() {
        let quantity = i64::try_from(index).unwrap() + 1;
        created.push((*unit, app.create_demand(&app.unit(unit), &laptop(quantity, 1000, "2027-05-31")).await));
    }
    let officer = app.officer();
    let mut reads = Vec::new();
    for (owner, demand) in &created {
        let path = format!("/api/v1/demands/{}", demand["id"].as_str().unwrap());
        let stranger = units.iter().find(|unit| *unit != owner).unwrap();
        reads.push((path.clone(), app.unit(owner), Some(demand.clone())));
        reads.push((path.clone(), app.unit(stranger), None));
        reads.push((path, officer.clone(), Some(demand.clone())));
    }
    reads.push((format!("/api/v1/demands/{}", uuid::Uuid::new_v4()), officer.clone(), None));
    let replies = futures_util::future::join_all(reads.iter().map(|(path, token, _)| app.get(path, token))).await;
    for ((path, _, expected), reply) in reads.iter().zip(replies) {
        match expected {
            Some(demand) => {
                assert_eq!(reply.status, 200, "{path}: {}", reply.text);
                assert_eq!(&reply.body, demand, "{path} answers its own row");
            }
            None => {
                reply.assert_problem(404);
            }
        }
    }
}

async fn roles_read_and_write_what_the_design_allows(app: TestApp) {
    app.seed_units().await;
    let demand = app.create_demand(&app.unit("kg"), &electric_car("2027-09-01")).await;
    let path = format!("/api/v1/demands/{}", demand["id"].as_str().unwrap());

    for reader in [app.officer(), app.integration(), app.admin()] {
        assert_eq!(app.get(&path, &reader).await.status, 200);
        assert_eq!(app.get("/api/v1/demands", &reader).await.body["total"], 1);
        app.patch(&path, &reader, &[], &json!({"quantity": 3})).await.assert_problem(403);
        app.post(&format!("{path}/withdraw"), &reader, &json!({})).await.assert_problem(403);
    }
    for non_creator in [app.officer(), app.integration()] {
        let mut body = electric_car("2027-09-01");
        body["unit_id"] = json!("kg");
        app.post_demand(&non_creator, &body).await.assert_problem(403);
    }

    // An admin may create demand on a unit's behalf, naming the unit.
    app.post_demand(&app.admin(), &laptop(1, 900, "2027-01-01")).await.assert_problem(422);
    let mut on_behalf = laptop(1, 900, "2027-01-01");
    on_behalf["unit_id"] = json!("luks");
    let created = app.post_demand(&app.admin(), &on_behalf).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["unit_id"], "luks");
    on_behalf["unit_id"] = json!("nowhere");
    let unknown = app.post_demand(&app.admin(), &on_behalf).await;
    unknown.assert_problem(422);
    assert_eq!(unknown.error_fields(), ["unit_id"]);
    app.send(Method::GET, &path, None, &[], None).await.assert_problem(401);
}

async fn validation_names_every_bad_field_at_once(app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("buwd-vif");
    let reply = app
        .post_demand(
            &clerk,
            &json!({
                "category": "pc",
                "spec": {"form_factor": "laptop", "os": "windows", "ram_gb": 2048, "storage_gb": 0, "gpu": "big"},
                "quantity": 100_001,
                "unit_price_chf": -5,
                "needed_by": "2027-02-30",
                "budget_year": 2031,
                "justification": "   ",
                "status": "bundled",
                "version": 7,
            }),
        )
        .await;
    reply.assert_problem(422);
    assert_eq!(
        reply.error_fields(),
        [
            "status",
            "spec.ram_gb",
            "spec.storage_gb",
            "spec.gpu",
            "quantity",
            "unit_price_chf",
            "needed_by",
            "justification",
            "version"
        ]
    );
    let missing = app.post_demand(&clerk, &json!({})).await;
    assert_eq!(missing.error_fields(), ["category", "spec", "quantity", "unit_price_chf", "needed_by"]);
    let not_object = app.post_demand(&clerk, &json!([1, 2])).await;
    not_object.assert_problem(422);
    assert_eq!(not_object.error_fields(), ["body"]);
    assert_eq!(app.get("/api/v1/demands", &app.officer()).await.body["total"], 0, "nothing was written");
}

async fn a_patch_changes_only_what_it_names(app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("buwd-vif");
    let mut body = laptop(40, 1400, "2027-03-31");
    body["justification"] = json!("Replacement of 2021 laptops");
    let demand = app.create_demand(&clerk, &body).await;
    let path = format!("/api/v1/demands/{}", demand["id"].as_str().unwrap());

    let patched = app
        .patch(
            &path,
            &clerk,
            &[("if-match", "\"1\"")],
            &json!({"quantity": 45, "spec": {"form_factor": "desktop"}, "justification": null}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["quantity"], 45);
    assert_eq!(patched.body["spec"]["form_factor"], "desktop");
    assert_eq!(patched.body["spec"]["ram_gb"], 16, "spec fields not named are kept");
    assert_eq!(patched.body["cpv"], "30213300-8", "the CPV follows the spec");
    assert_eq!(patched.body["justification"], json!(null));
    assert_eq!(patched.body["unit_price_chf"], 1400);
    assert_eq!(patched.body["version"], 2);
    assert_eq!(patched.header("etag"), Some("\"2\""));

    let invalid =
        app.patch(&path, &clerk, &[], &json!({"quantity": 0, "category": "vehicle", "status": "draft"})).await;
    invalid.assert_problem(422);
    assert_eq!(invalid.error_fields(), ["category", "status"]);
    let invalid = app.patch(&path, &clerk, &[], &json!({"quantity": 0, "spec": {"ram_gb": 0}})).await;
    assert_eq!(invalid.error_fields(), ["spec.ram_gb", "quantity"]);
    assert_eq!(app.get(&path, &clerk).await.body, patched.body, "a refused patch changes nothing");
}

async fn stale_if_match_is_refused(app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("buwd-vif");
    let demand = app.create_demand(&clerk, &laptop(2, 1000, "2027-03-31")).await;
    let path = format!("/api/v1/demands/{}", demand["id"].as_str().unwrap());
    assert_eq!(app.patch(&path, &clerk, &[("if-match", "\"1\"")], &json!({"quantity": 3})).await.status, 200);
    app.patch(&path, &clerk, &[("if-match", "\"1\"")], &json!({"quantity": 4})).await.assert_problem(412);
    app.post_with(&format!("{path}/withdraw"), &clerk, &[("if-match", "\"1\"")], &json!({})).await.assert_problem(412);
    app.patch(&path, &clerk, &[("if-match", "yesterday")], &json!({"quantity": 4})).await.assert_problem(400);
    let current = app.get(&path, &clerk).await;
    assert_eq!((current.body["quantity"].as_i64(), current.body["version"].as_i64()), (Some(3), Some(2)));
}

async fn two_concurrent_patches_of_one_version_have_one_winner(app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("buwd-vif");
    let demand = app.create_demand(&clerk, &laptop(2, 1000, "2027-03-31")).await;
    let path = format!("/api/v1/demands/{}", demand["id"].as_str().unwrap());
    let headers = [("if-match", "\"1\"")];
    let (first, second) = futures_util::future::join(
        app.patch(&path, &clerk, &headers, &json!({"quantity": 10})),
        app.patch(&path, &clerk, &headers, &json!({"quantity": 20})),
    )
    .await;
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses[0], 200, "one wins: {} / {}", first.text, second.text);
    assert!(matches!(statuses[1], 409 | 412), "the other is refused: {} / {}", first.text, second.text);
    let winner = if first.status == 200 { &first } else { &second };
    let stored = app.get(&path, &clerk).await;
    assert_eq!(stored.body["quantity"], winner.body["quantity"], "the winner's write is the one stored");
    assert_eq!(stored.body["version"], 2);
}

async fn submit_and_withdraw_follow_the_life_cycle(app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("buwd-vif");
    let mut body = laptop(2, 1000, "2027-03-31");
    body["status"] = json!("draft");
    let demand = app.create_demand(&clerk, &body).await;
    assert_eq!(demand["status"], "draft");
    let path = format!("/api/v1/demands/{}", demand["id"].as_str().unwrap());

    let submitted = app.post(&format!("{path}/submit"), &clerk, &json!({})).await;
    assert_eq!(submitted.status, 200, "{}", submitted.text);
    assert_eq!(submitted.body["status"], "submitted");
    assert_eq!(submitted.body["version"], 2);
    app.post(&format!("{path}/submit"), &clerk, &json!({})).await.assert_problem(409);

    let withdrawn = app.post(&format!("{path}/withdraw"), &clerk, &json!({})).await;
    assert_eq!(withdrawn.body["status"], "withdrawn");
    assert_eq!(app.get(&path, &clerk).await.body, withdrawn.body, "the answer is what was stored");
    app.post(&format!("{path}/withdraw"), &clerk, &json!({})).await.assert_problem(409);
    app.patch(&path, &clerk, &[], &json!({"quantity": 5})).await.assert_problem(409);
    assert_eq!(app.get("/api/v1/demands?status=withdrawn", &clerk).await.body["total"], 1);
}
