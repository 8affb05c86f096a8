//! `TestApp`: the real server on a loopback port, on a fresh SQLite file or a fresh
//! PostgreSQL database, with methods that read like the API.

use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use awc::http::{header::HeaderMap, Method};
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::{json, Value};
use tenderpool::auth::{Keys, Role};
use tenderpool::config::DatabaseLocation;
use tenderpool::db::Database;
use tenderpool::delivery::DeliveryConfig;
use tenderpool::domain::settings::ProcurementSettings;
use tenderpool::server::{self, AppState};

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const POSTGRES_URL_VARIABLE: &str = "TEST_DATABASE_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database that disappears with the test.
enum Store {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Store {
    fn create(backend: Backend) -> Option<Store> {
        match backend {
            Backend::Sqlite => Some(Store::Sqlite(tempfile::tempdir().expect("temp dir"))),
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var(POSTGRES_URL_VARIABLE) else {
                    warn_postgres_skipped();
                    return None;
                };
                let name = format!("tp_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|error| {
                    panic!("{POSTGRES_URL_VARIABLE} is set but PostgreSQL is unreachable: {error}")
                });
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("create test database");
                Some(Store::Postgres { admin_url, name })
            }
        }
    }

    fn location(&self) -> DatabaseLocation {
        match self {
            Store::Sqlite(dir) => DatabaseLocation::Sqlite(dir.path().join("tenderpool.db")),
            Store::Postgres { admin_url, name } => DatabaseLocation::Postgres(database_url(admin_url, name)),
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Store::Postgres { admin_url, name } = self {
            if let Ok(mut admin) = PgConnection::establish(admin_url) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
            }
        }
    }
}

/// The admin URL with its database name replaced.
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(base, query)| (base, Some(query)));
    let without_path = match base.rfind('/') {
        Some(slash) if slash > base.find("//").map_or(0, |start| start + 1) => &base[..slash],
        _ => base,
    };
    match query {
        Some(query) => format!("{without_path}/{name}?{query}"),
        None => format!("{without_path}/{name}"),
    }
}

/// Written past the test harness's capture, so a plain `cargo test` says what it left out.
fn warn_postgres_skipped() {
    static WARNED: Once = Once::new();
    WARNED.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\n*** PostgreSQL tests SKIPPED: {POSTGRES_URL_VARIABLE} is not set. Run them with\n\
             ***   {POSTGRES_URL_VARIABLE}=postgres://postgres@127.0.0.1:5432/test cargo test\n"
        );
    });
}

pub struct TestApp {
    pub address: String,
    keys: Keys,
    client: awc::Client,
    handle: ServerHandle,
    worker: Option<actix_web::rt::task::JoinHandle<()>>,
    store: Store,
}

/// What came back: status, headers and the body as JSON (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// The `field` names of a validation problem, in order.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| errors.iter().map(|error| error["field"].as_str().unwrap_or("").to_owned()).collect())
            .unwrap_or_default()
    }

    /// Asserts an RFC 9457 problem with this status.
    pub fn assert_problem(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        assert_eq!(self.content_type(), "application/problem+json", "body: {}", self.text);
        assert_eq!(self.body["status"], status, "body: {}", self.text);
        assert!(self.body["type"].as_str().is_some_and(|kind| kind.starts_with("urn:tenderpool:problem:")));
        assert!(self.body["title"].is_string() && self.body["detail"].is_string(), "body: {}", self.text);
        self
    }
}

pub fn laptop(quantity: i64, unit_price_chf: i64, needed_by: &str) -> Value {
    json!({
        "category": "pc",
        "spec": {"form_factor": "laptop", "os": "windows", "ram_gb": 16, "storage_gb": 512},
        "quantity": quantity,
        "unit_price_chf": unit_price_chf,
        "needed_by": needed_by,
    })
}

pub fn electric_car(needed_by: &str) -> Value {
    json!({
        "category": "vehicle",
        "spec": {"class": "passenger_car", "drive": "electric", "seats": 5, "all_wheel_drive": false},
        "quantity": 2,
        "unit_price_chf": 42_000,
        "needed_by": needed_by,
    })
}

impl TestApp {
    /// The app on a fresh database; `None` when PostgreSQL tests are not configured.
    pub fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, true)
    }

    /// The app without its webhook worker, as if the process died before delivering.
    pub fn spawn_with(backend: Backend, worker: bool) -> Option<TestApp> {
        let store = Store::create(backend)?;
        let keys = Keys::hs256(SECRET.as_bytes(), None, None).expect("keys");
        let running = start(&store.location(), 1024 * 1024, worker);
        Some(TestApp {
            address: running.address,
            keys,
            client: awc::Client::default(),
            handle: running.handle,
            worker: running.worker,
            store,
        })
    }

    /// Stops the server (and its worker) and starts a new one, with a worker, on the same database.
    pub async fn restart(&mut self) {
        self.handle.stop(true).await;
        if let Some(worker) = self.worker.take() {
            worker.abort();
        }
        let running = start(&self.store.location(), 1024 * 1024, true);
        self.address = running.address;
        self.handle = running.handle;
        self.worker = running.worker;
    }

    pub fn token(&self, role: Role, unit: Option<&str>) -> String {
        self.keys.issue(&format!("{role:?}-user").to_lowercase(), role, unit, 600).expect("token")
    }

    pub fn admin(&self) -> String {
        self.token(Role::Admin, None)
    }

    pub fn officer(&self) -> String {
        self.token(Role::Officer, None)
    }

    pub fn integration(&self) -> String {
        self.token(Role::Integration, None)
    }

    pub fn unit(&self, unit: &str) -> String {
        self.token(Role::Unit, Some(unit))
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.insert_header(("authorization", format!("Bearer {token}")));
        }
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let sent = match body {
            Some((content_type, bytes)) => request.insert_header(("content-type", content_type)).send_body(bytes).await,
            None => request.send().await,
        };
        let mut response = sent.expect("request reaches the server");
        let bytes = response.body().limit(64 * 1024 * 1024).await.expect("body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), &[], None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.post_with(path, token, &[], body).await
    }

    pub async fn post_with(&self, path: &str, token: &str, headers: &[(&str, &str)], body: &Value) -> Reply {
        let bytes = serde_json::to_vec(body).expect("json");
        self.send(Method::POST, path, Some(token), headers, Some(("application/json", bytes))).await
    }

    pub async fn patch(&self, path: &str, token: &str, headers: &[(&str, &str)], body: &Value) -> Reply {
        let bytes = serde_json::to_vec(body).expect("json");
        self.send(Method::PATCH, path, Some(token), headers, Some(("application/merge-patch+json", bytes))).await
    }

    pub async fn post_demand(&self, token: &str, body: &Value) -> Reply {
        self.post("/api/v1/demands", token, body).await
    }

    /// Creates the demand and returns its view, failing the test otherwise.
    pub async fn create_demand(&self, token: &str, body: &Value) -> Value {
        let reply = self.post_demand(token, body).await;
        assert_eq!(reply.status, 201, "create demand: {}", reply.text);
        reply.body
    }

    /// The Canton of Lucerne's units and `lines` lines of demo demand for `year`.
    pub fn seed_demo(&self, year: i32, lines: usize) {
        let database = Database::open(&self.store.location(), 1).expect("database opens");
        tenderpool::seed::load_demo(&database, year, lines).expect("demo data loads");
    }

    /// A small tree: the canton with two offices, a court, and an outsourced hospital.
    pub async fn seed_units(&self) {
        let admin = self.admin();
        for (id, kind, parent) in [
            ("lu", "other", None),
            ("buwd", "department", Some("lu")),
            ("buwd-vif", "office", Some("buwd")),
            ("fd-dii", "office", Some("lu")),
            ("kg", "court", Some("lu")),
            ("luks", "outsourced", None),
        ] {
            let body = json!({"id": id, "name": format!("Unit {id}"), "kind": kind, "parent_id": parent});
            let reply = self.post("/api/v1/units", &admin, &body).await;
            assert_eq!(reply.status, 201, "seed unit {id}: {}", reply.text);
        }
    }
}

/// A server on a free loopback port; with `worker`, the webhook worker runs beside it.
fn start(location: &DatabaseLocation, body_limit: usize, worker: bool) -> Running {
    let database = Database::open(location, 4).expect("database opens");
    let keys = Keys::hs256(SECRET.as_bytes(), None, None).expect("keys");
    let listener = TcpListener::bind("127.0.0.1:0").expect("free port");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let worker = worker.then(|| tenderpool::delivery::spawn_worker(database.clone(), delivery_config()));
    let state = AppState::new(database, keys, ProcurementSettings::default(), delivery_config(), body_limit);
    let server = server::listen(listener, state, Some(2)).expect("server starts");
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Running { address, handle, worker }
}

/// Retries after one second, so the tests need not wait long.
fn delivery_config() -> DeliveryConfig {
    DeliveryConfig { retry_base_seconds: 1, give_up_after: chrono::Duration::hours(1), allowed_hosts: Vec::new() }
}

struct Running {
    address: String,
    handle: ServerHandle,
    worker: Option<actix_web::rt::task::JoinHandle<()>>,
}

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

/// A real webhook receiver on loopback that answers 500 to its first `failures` requests.
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn start(failures: usize) -> Receiver {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let log = received.clone();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            let log = log.clone();
            App::new().route(
                "/hook",
                web::post().to(move |request: HttpRequest, body: web::Bytes| {
                    let log = log.clone();
                    async move {
                        let header = |name: &str| {
                            request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
                        };
                        let mut log = log.lock().unwrap();
                        log.push(Received {
                            id: header("webhook-id"),
                            timestamp: header("webhook-timestamp"),
                            signature: header("webhook-signature"),
                            body: String::from_utf8_lossy(&body).into_owned(),
                        });
                        if log.len() <= failures {
                            HttpResponse::InternalServerError().finish()
                        } else {
                            HttpResponse::NoContent().finish()
                        }
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        actix_web::rt::spawn(server);
        Receiver { url, received }
    }

    /// Waits (bounded) until `count` requests arrived.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..200 {
            let received = self.received.lock().unwrap().clone();
            if received.len() >= count {
                return received;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the receiver got {} of {count} deliveries", self.received.lock().unwrap().len());
    }
}

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                use $crate::helpers::{Backend, TestApp};

                #[actix_web::test]
                async fn sqlite() {
                    super::$name(TestApp::spawn(Backend::Sqlite).expect("sqlite")).await;
                }

                #[actix_web::test]
                async fn postgres() {
                    if let Some(app) = TestApp::spawn(Backend::Postgres) {
                        super::$name(app).await;
                    }
                }
            }
        )+
    };
}

#[test]
fn test_database_urls_keep_host_and_options() {
    assert_eq!(
        database_url("postgres://postgres@127.0.0.1:5432/test", "tp_x"),
        "postgres://postgres@127.0.0.1:5432/tp_x"
    );
    assert_eq!(
        database_url("postgres://u:p@db:5432/test?sslmode=disable", "tp_x"),
        "postgres://u:p@db:5432/tp_x?sslmode=disable"
    );
    assert_eq!(database_url("postgres://postgres@127.0.0.1:5432", "tp_x"), "postgres://postgres@127.0.0.1:5432/tp_x");
}
