//! The real binary as separate processes: killed with SIGKILL in the middle of the load, and
//! two processes on one PostgreSQL database.

use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use awc::Client;
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::{json, Value};
use tenderpool::auth::{Keys, Role};

use crate::helpers::{laptop, Receiver, POSTGRES_URL_VARIABLE};

const BINARY: &str = env!("CARGO_BIN_EXE_tenderpool");
const SECRET: &str = "process-test-secret-process-test-secret-1";
/// Enough that the kill, 300 ms in, always lands while requests are in flight.
const REQUESTS_PER_CLIENT: usize = 150;

/// A database for the processes: a SQLite file or a fresh PostgreSQL database.
struct Store {
    url: String,
    _dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Store {
    fn sqlite() -> Store {
        let dir = tempfile::tempdir().unwrap();
        Store { url: format!("sqlite://{}", dir.path().join("tp.db").display()), _dir: dir, postgres: None }
    }

    fn postgres() -> Option<Store> {
        let admin = std::env::var(POSTGRES_URL_VARIABLE).ok()?;
        let name = format!("tp_proc_{}", uuid::Uuid::new_v4().simple());
        let mut connection = PgConnection::establish(&admin).expect("PostgreSQL reachable");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut connection).unwrap();
        let base = &admin[..admin.rfind('/').unwrap()];
        Some(Store { url: format!("{base}/{name}"), _dir: tempfile::tempdir().unwrap(), postgres: Some((admin, name)) })
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres {
            if let Ok(mut connection) = PgConnection::establish(admin) {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut connection);
            }
        }
    }
}

/// One `tenderpool serve` process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(store: &Store) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(BINARY)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--webhook-retry-seconds", "1"])
            .env("DATABASE_URL", &store.url)
            .env("TENDERPOOL_JWT_SECRET", SECRET)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tenderpool");
        let server = Server { child, base: format!("http://127.0.0.1:{port}") };
        for _ in 0..100 {
            if Client::default()
                .get(format!("{}/ready", server.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return server;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("tenderpool did not become ready");
    }

    /// SIGKILL: no shutdown, no flushing, nothing.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token(role: Role, unit: Option<&str>) -> String {
    Keys::hs256(SECRET.as_bytes(), None, None).unwrap().issue("process-test", role, unit, 600).unwrap()
}

async fn call(
    base: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
    key: Option<&str>,
) -> (u16, Value) {
    let client = Client::builder().timeout(Duration::from_secs(20)).finish();
    let mut request =
        if method == "POST" { client.post(format!("{base}{path}")) } else { client.get(format!("{base}{path}")) };
    request = request.insert_header(("authorization", format!("Bearer {token}")));
    if let Some(key) = key {
        request = request.insert_header(("idempotency-key", key));
    }
    let sent = match body {
        Some(body) => request.send_json(body).await,
        None => request.send().await,
    };
    match sent {
        Ok(mut response) => {
            let bytes = response.body().limit(16 * 1024 * 1024).await.unwrap_or_default();
            (response.status().as_u16(), serde_json::from_slice(&bytes).unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

async fn create_units(base: &str) {
    let admin = token(Role::Admin, None);
    for (id, parent) in [("lu", None), ("kg", Some("lu")), ("fd-dii", Some("lu")), ("buwd-vif", Some("lu"))] {
        let body = json!({"id": id, "name": id, "kind": if parent.is_some() { "office" } else { "other" }, "parent_id": parent});
        assert_eq!(call(base, "POST", "/api/v1/units", &admin, Some(&body), None).await.0, 201);
    }
}

async fn all_demand_ids(base: &str) -> Vec<String> {
    let officer = token(Role::Officer, None);
    let mut ids = Vec::new();
    loop {
        let (status, page) =
            call(base, "GET", &format!("/api/v1/demands?limit=500&offset={}", ids.len()), &officer, None, None).await;
        assert_eq!(status, 200);
        let items = page["items"].as_array().unwrap().clone();
        ids.extend(items.iter().map(|item| item["id"].as_str().unwrap().to_owned()));
        if items.len() < 500 {
            return ids;
        }
    }
}

async fn killed_in_the_middle_of_the_load(store: Store) {
    let mut server = Server::start(&store).await;
    create_units(&server.base).await;
    let hook = Receiver::start(0);
    let subscription = json!({"url": hook.url, "events": ["demand.submitted"]});
    assert_eq!(
        call(&server.base, "POST", "/api/v1/webhooks", &token(Role::Admin, None), Some(&subscription), None).await.0,
        201
    );

    // 16 clients send demand with their own keys; the server is killed while they do.
    let base = server.base.clone();
    let acknowledged: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let clients = (0..16).map(|client| {
        let (base, acknowledged) = (base.clone(), acknowledged.clone());
        async move {
            let clerk = token(Role::Unit, Some(["kg", "fd-dii", "buwd-vif"][client % 3]));
            for n in 0..60 {
                let key = format!("c{client}-n{n}");
                let (status, body) =
                    call(&base, "POST", "/api/v1/demands", &clerk, Some(&laptop(1, 1000, "2030-06-30")), Some(&key))
                        .await;
                if status == 201 {
                    acknowledged.lock().unwrap().insert(key, body["id"].as_str().unwrap().to_owned());
                }
            }
        }
    });
    let load = futures_util::future::join_all(clients);
    let kill = async {
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        server.kill();
    };
    futures_util::future::join(load, kill).await;
    let before = acknowledged.lock().unwrap().clone();
    let total = 16 * REQUESTS_PER_CLIENT;
    assert!(!before.is_empty() && before.len() < total, "the kill landed in the middle: {} acknowledged", before.len());

    // After a restart the clients retry every request they got no answer to, with its key.
    let server = Server::start(&store).await;
    let retries = (0..16).map(|client| {
        let (base, acknowledged) = (server.base.clone(), acknowledged.clone());
        async move {
            let clerk = token(Role::Unit, Some(["kg", "fd-dii", "buwd-vif"][client % 3]));
            for n in 0..REQUESTS_PER_CLIENT {
                let key = format!("c{client}-n{n}");
                if acknowledged.lock().unwrap().contains_key(&key) {
                    continue;
                }
                let body = laptop(1, 1000, "2030-06-30");
                let (status, reply) = call(&base, "POST", "/api/v1/demands", &clerk, Some(&body), Some(&key)).await;
                assert_eq!(status, 201, "{reply}");
                acknowledged.lock().unwrap().insert(key, reply["id"].as_str().unwrap().to_owned());
            }
        }
    });
    futures_util::future::join_all(retries).await;
    let answered = acknowledged.lock().unwrap().clone();
    for (key, id) in &before {
        assert_eq!(answered[key], *id, "a retry after the restart answers the first result");
    }
    let stored = all_demand_ids(&server.base).await;
    let stored_set: HashSet<&String> = stored.iter().collect();
    let expected: HashSet<&String> = answered.values().collect();
    assert_eq!(stored.len(), stored_set.len(), "no demand stored twice");
    assert_eq!(stored_set, expected, "exactly the acknowledged demands");
    assert_eq!(stored.len(), total);

    // Every committed demand's event arrives, including those committed just before the kill.
    for _ in 0..300 {
        let delivered: HashSet<String> = hook
            .received
            .lock()
            .unwrap()
            .iter()
            .filter_map(|delivery| serde_json::from_str::<Value>(&delivery.body).ok())
            .filter_map(|payload| payload["data"]["demand_id"].as_str().map(str::to_owned))
            .collect();
        if delivered.len() == stored.len() {
            let ids: HashSet<&String> = stored.iter().collect();
            assert!(delivered.iter().all(|id| ids.contains(id)));
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} of {} events delivered", hook.received.lock().unwrap().len(), stored.len());
}

#[actix_web::test]
async fn a_killed_sqlite_server_loses_and_doubles_nothing() {
    killed_in_the_middle_of_the_load(Store::sqlite()).await;
}

#[actix_web::test]
async fn a_killed_postgres_server_loses_and_doubles_nothing() {
    if let Some(store) = Store::postgres() {
        killed_in_the_middle_of_the_load(store).await;
    }
}

#[actix_web::test]
async fn two_processes_on_one_postgres_keep_the_invariants() {
    let Some(store) = Store::postgres() else { return };
    let first = Server::start(&store).await;
    let second = Server::start(&store).await;
    create_units(&first.base).await;
    for (unit, needed_by) in [("kg", "2030-03-31"), ("fd-dii", "2030-04-30"), ("buwd-vif", "2030-05-31")] {
        let (status, _) = call(
            &second.base,
            "POST",
            "/api/v1/demands",
            &token(Role::Unit, Some(unit)),
            Some(&laptop(60, 1500, needed_by)),
            None,
        )
        .await;
        assert_eq!(status, 201);
    }
    // The same idempotency key at both processes at once: one demand.
    let clerk = token(Role::Unit, Some("kg"));
    let body = laptop(2, 900, "2030-09-30");
    let (a, b) = futures_util::future::join(
        call(&first.base, "POST", "/api/v1/demands", &clerk, Some(&body), Some("both")),
        call(&second.base, "POST", "/api/v1/demands", &clerk, Some(&body), Some("both")),
    )
    .await;
    assert!(a.0 == 201 || b.0 == 201, "{a:?} {b:?}");
    let retry = call(&first.base, "POST", "/api/v1/demands", &clerk, Some(&body), Some("both")).await;
    assert_eq!(retry.0, 201);
    assert_eq!(all_demand_ids(&first.base).await.len(), 4, "the key made one demand across both processes");

    // Generation at both at once leaves each line in one live proposal.
    let officer = token(Role::Officer, None);
    let (a, b) = futures_util::future::join(
        call(&first.base, "POST", "/api/v1/proposals/generate", &officer, Some(&json!({})), None),
        call(&second.base, "POST", "/api/v1/proposals/generate", &officer, Some(&json!({})), None),
    )
    .await;
    assert_eq!((a.0, b.0), (200, 200));
    let (_, drafts) = call(&first.base, "GET", "/api/v1/proposals?status=draft", &officer, None, None).await;
    assert_eq!(drafts["total"], 1, "one generation's drafts survive: {drafts}");
    let lines: Vec<&str> =
        drafts["items"][0]["lines"].as_array().unwrap().iter().map(|l| l["demand_id"].as_str().unwrap()).collect();
    assert_eq!(lines.len(), 3);

    // Racing approvals from both processes: one wins, the other is told so.
    let id = drafts["items"][0]["id"].as_str().unwrap();
    let path = format!("/api/v1/proposals/{id}/approve");
    let (a, b) = futures_util::future::join(
        call(&first.base, "POST", &path, &officer, Some(&json!({})), None),
        call(&second.base, "POST", &path, &officer, Some(&json!({})), None),
    )
    .await;
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    let (_, bundled) = call(&second.base, "GET", "/api/v1/demands?status=bundled", &officer, None, None).await;
    assert_eq!(bundled["total"], 3);
}
