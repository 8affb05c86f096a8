use awc::http::Method;
use serde_json::{json, Value};

use crate::helpers::{laptop, Reply, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_thousand_rows_import_from_csv_and_from_json,
    one_bad_row_among_many_writes_nothing_and_names_the_row,
    imports_respect_roles_and_limits,
    lists_answer_csv_for_spreadsheets,
);

const HEADER: &str = "category,quantity,unit_price_chf,needed_by,form_factor,os,ram_gb,storage_gb,\
class,drive,seats,all_wheel_drive,format,color,multifunction,pages_per_minute\n";

fn csv_line(index: usize) -> String {
    match index % 3 {
        0 => format!("pc,{},1400,2027-03-31,laptop,windows,16,512,,,,,,,,\n", index % 50 + 1),
        1 => "vehicle,1,45000,2027-06-30,,,,,van,electric,3,false,,,,\n".to_owned(),
        _ => "printer,2,2500,2027-02-01,,,,,,,,,a4,true,yes,35\n".to_owned(),
    }
}

async fn import(app: &TestApp, token: &str, content_type: &str, body: Vec<u8>) -> Reply {
    app.send(Method::POST, "/api/v1/demands/import", Some(token), &[], Some((content_type, body))).await
}

async fn a_thousand_rows_import_from_csv_and_from_json(app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("buwd-vif");
    let csv: String = std::iter::once(HEADER.to_owned()).chain((0..1000).map(csv_line)).collect();
    let reply = import(&app, &clerk, "text/csv", csv.into_bytes()).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["imported"], 1000);
    assert_eq!(reply.body["ids"].as_array().unwrap().len(), 1000);
    let first = app.get(&format!("/api/v1/demands/{}", reply.body["ids"][0].as_str().unwrap()), &clerk).await;
    assert_eq!(first.body["spec"], json!({"form_factor": "laptop", "os": "windows", "ram_gb": 16, "storage_gb": 512}));
    let second = app.get(&format!("/api/v1/demands/{}", reply.body["ids"][1].as_str().unwrap()), &clerk).await;
    assert_eq!(second.body["cpv"], "34136000-9");

    let rows: Vec<Value> = (0..1000).map(|i| laptop(i % 20 + 1, 1200, "2027-09-30")).collect();
    let reply = import(&app, &clerk, "application/json", serde_json::to_vec(&rows).unwrap()).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["imported"], 1000);
    assert_eq!(app.get("/api/v1/demands?limit=1", &clerk).await.body["total"], 2000);
    assert_eq!(app.get("/api/v1/demands?category=vehicle&limit=1", &clerk).await.body["total"], 333);
}

async fn one_bad_row_among_many_writes_nothing_and_names_the_row(app: TestApp) {
    app.seed_units().await;
    let clerk = app.unit("buwd-vif");
    let mut lines: Vec<String> = (0..500).map(csv_line).collect();
    "pc,0,1400,2027-03-31,tablet,windows,16,512,,,,,,,,\n".clone_into(&mut lines[249]);
    let csv: String = std::iter::once(HEADER.to_owned()).chain(lines).collect();
    let reply = import(&app, &clerk, "text/csv", csv.into_bytes()).await;
    reply.assert_problem(422);
    let errors: Vec<(i64, &str)> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(251, "spec.form_factor"), (251, "quantity")], "the header is row 1");

    let mut rows: Vec<Value> = (0..300).map(|_| laptop(1, 1000, "2027-03-31")).collect();
    rows[10]["needed_by"] = json!("soon");
    let reply = import(&app, &clerk, "application/json", serde_json::to_vec(&rows).unwrap()).await;
    reply.assert_problem(422);
    assert_eq!(
        (reply.body["errors"][0]["row"].as_i64(), reply.body["errors"][0]["field"].as_str()),
        (Some(11), Some("needed_by"))
    );
    assert_eq!(app.get("/api/v1/demands", &app.officer()).await.body["total"], 0, "nothing was written");
}

async fn imports_respect_roles_and_limits(app: TestApp) {
    app.seed_units().await;
    let body = serde_json::to_vec(&vec![laptop(1, 1000, "2027-03-31")]).unwrap();
    for forbidden in [app.officer(), app.integration()] {
        import(&app, &forbidden, "application/json", body.clone()).await.assert_problem(403);
    }
    let reply = import(&app, &app.admin(), "application/json", body.clone()).await;
    assert_eq!(reply.error_fields(), ["unit_id"], "an admin names each row's unit");
    let mut for_kg = laptop(1, 1000, "2027-03-31");
    for_kg["unit_id"] = json!("kg");
    let mut for_nobody = for_kg.clone();
    for_nobody["unit_id"] = json!("nowhere");
    let reply =
        import(&app, &app.admin(), "application/json", serde_json::to_vec(&vec![for_kg.clone(), for_nobody]).unwrap())
            .await;
    reply.assert_problem(422);
    assert_eq!(
        (reply.body["errors"][0]["row"].as_i64(), reply.body["errors"][0]["field"].as_str()),
        (Some(2), Some("unit_id"))
    );
    let reply = import(&app, &app.unit("fd-dii"), "application/json", serde_json::to_vec(&vec![for_kg]).unwrap()).await;
    reply.assert_problem(422);

    let too_many: String = std::iter::once(HEADER.to_owned()).chain((0..10_001).map(csv_line)).collect();
    import(&app, &app.unit("kg"), "text/csv", too_many.into_bytes()).await.assert_problem(413);
    import(&app, &app.unit("kg"), "text/plain", body.clone()).await.assert_problem(400);
    import(&app, &app.unit("kg"), "application/json", b"[{".to_vec()).await.assert_problem(400);
    import(&app, &app.unit("kg"), "text/csv", b"category,colour\npc,red\n".to_vec()).await.assert_problem(422);
    assert_eq!(app.get("/api/v1/demands", &app.officer()).await.body["total"], 0);

    let key = [("idempotency-key", "import-1")];
    let first = app
        .send(
            Method::POST,
            "/api/v1/demands/import",
            Some(&app.unit("kg")),
            &key,
            Some(("application/json", body.clone())),
        )
        .await;
    let again = app
        .send(Method::POST, "/api/v1/demands/import", Some(&app.unit("kg")), &key, Some(("application/json", body)))
        .await;
    assert_eq!((first.status, again.status), (201, 201));
    assert_eq!(first.body, again.body);
    assert_eq!(app.get("/api/v1/demands", &app.officer()).await.body["total"], 1);
}

async fn lists_answer_csv_for_spreadsheets(app: TestApp) {
    app.seed_units().await;
    let mut body = laptop(3, 1450, "2030-03-31");
    body["justification"] = json!("Ersatz, \"dringend\"");
    app.create_demand(&app.unit("kg"), &body).await;
    app.create_demand(&app.unit("fd-dii"), &laptop(2, 1500, "2030-04-30")).await;
    let csv = app.send(Method::GET, "/api/v1/demands", Some(&app.officer()), &[("accept", "text/csv")], None).await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type().starts_with("text/csv"), "{}", csv.content_type());
    assert_eq!(csv.header("x-total-count"), Some("2"));
    let mut reader = ::csv::Reader::from_reader(csv.text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(&header[..4], ["id", "unit_id", "category", "cpv"]);
    assert!(header.contains(&"ram_gb".to_owned()) && header.contains(&"pages_per_minute".to_owned()));
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&records[0][column("justification")], "Ersatz, \"dringend\"");
    assert_eq!(&records[0][column("ram_gb")], "16");
    assert_eq!(&records[0][column("estimated_value_chf")], "4350");
    let own = app.send(Method::GET, "/api/v1/demands", Some(&app.unit("kg")), &[("accept", "text/csv")], None).await;
    assert_eq!(own.header("x-total-count"), Some("1"), "a unit's CSV holds only its own demand");

    app.post("/api/v1/proposals/generate", &app.officer(), &json!({})).await;
    let proposals =
        app.send(Method::GET, "/api/v1/proposals", Some(&app.officer()), &[("accept", "text/csv")], None).await;
    let mut reader = ::csv::Reader::from_reader(proposals.text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let row = reader.records().next().unwrap().unwrap();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&row[column("unit_ids")], "fd-dii;kg");
    assert_eq!(&row[column("estimated_value_chf")], "7350");
    assert_eq!(&row[column("procedure")], "direct");
}
