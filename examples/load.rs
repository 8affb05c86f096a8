//! Load and durability tool: creates units, submits demand from many concurrent clients (each
//! request with its own `Idempotency-Key`, a share of them sent twice as a client that timed
//! out would), reads, lists and generates, then checks that the store holds exactly the
//! acknowledged demands once each. Prints throughput and latency percentiles per phase.
//!
//! ```sh
//! cargo run --release --example load -- --url http://127.0.0.1:8080 \
//!     --secret-file tenderpool.db.jwt-secret --clients 64 --demands 20000
//! ```

// Percentiles and rates of request counts: f64 precision is plenty.
#![allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use std::collections::HashSet;
use std::rc::Rc;
use std::time::{Duration, Instant};

use awc::Client;
use clap::Parser;
use futures_util::future::join_all;
use serde_json::{json, Value};
use tenderpool::auth::{Keys, Role};

#[derive(Parser, Debug)]
struct Args {
    /// The server under test (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The server's HS256 secret file (beside its SQLite database) ...
    #[arg(long)]
    secret_file: Option<std::path::PathBuf>,
    /// ... or the secret itself.
    #[arg(long, env = "TENDERPOOL_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Demands to create.
    #[arg(long, default_value_t = 20_000)]
    demands: usize,
    /// Requests in each read phase (get by id, list, health).
    #[arg(long, default_value_t = 50_000)]
    reads: usize,
    /// Units to spread the demand over.
    #[arg(long, default_value_t = 32)]
    units: usize,
    /// Share of creates sent a second time with the same key, in percent.
    #[arg(long, default_value_t = 5)]
    resend_percent: u64,
    /// Generate calls at the end.
    #[arg(long, default_value_t = 3)]
    generates: usize,
}

/// Latencies of one phase.
struct Phase {
    name: &'static str,
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

impl Phase {
    fn report(&self) {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let pick = |q: f64| {
            let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
            sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "{:<14} {:>8} {:>7} {:>10.0} {:>9.2} {:>9.2} {:>9.2}",
            self.name,
            sorted.len(),
            self.errors,
            sorted.len() as f64 / self.elapsed.as_secs_f64(),
            pick(0.50),
            pick(0.95),
            pick(0.99)
        );
    }
}

/// Tiny deterministic randomness per client, so runs are comparable.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

async fn send(
    client: &Client,
    method: &str,
    url: &str,
    token: &str,
    body: Option<&Value>,
    key: Option<&str>,
) -> (u16, Value) {
    let mut request = match method {
        "POST" => client.post(url),
        _ => client.get(url),
    };
    request = request.insert_header(("authorization", format!("Bearer {token}")));
    if let Some(key) = key {
        request = request.insert_header(("idempotency-key", key));
    }
    let response = match body {
        Some(body) => request.send_json(body).await,
        None => request.send().await,
    };
    match response {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let body = response.body().limit(64 * 1024 * 1024).await.ok().and_then(|b| serde_json::from_slice(&b).ok());
            (status, body.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

/// A GET whose answer is read but not parsed: the read phases measure the server, so the
/// client does no more work per request than for `/health`.
async fn get_status(client: &Client, url: &str, token: &str) -> u16 {
    let Ok(mut response) = client.get(url).insert_header(("authorization", format!("Bearer {token}"))).send().await
    else {
        return 0;
    };
    match response.body().limit(16 * 1024 * 1024).await {
        Ok(_) => response.status().as_u16(),
        Err(_) => 0,
    }
}

/// Runs `total` requests from `clients` concurrent loops; `request(i)` makes the i-th.
async fn phase<F, Fut>(name: &'static str, clients: usize, total: usize, request: F) -> Phase
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let request = Rc::new(request);
    let started = Instant::now();
    let loops = (0..clients).map(|client| {
        let request = request.clone();
        async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut index = client;
            while index < total {
                let begun = Instant::now();
                if request(index).await {
                    latencies.push(begun.elapsed());
                } else {
                    errors += 1;
                }
                index += clients;
            }
            (latencies, errors)
        }
    });
    let results = join_all(loops).await;
    let elapsed = started.elapsed();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for (found, failed) in results {
        latencies.extend(found);
        errors += failed;
    }
    Phase { name, latencies, errors, elapsed }
}

fn demand(index: usize) -> Value {
    match index % 3 {
        0 => {
            json!({"category": "pc", "spec": {"form_factor": "laptop", "os": "windows", "ram_gb": 16, "storage_gb": 512},
                     "quantity": index % 40 + 1, "unit_price_chf": 1400, "needed_by": format!("2031-{:02}-15", index % 12 + 1)})
        }
        1 => {
            json!({"category": "printer", "spec": {"format": "a4", "color": true, "multifunction": true, "pages_per_minute": 35},
                     "quantity": index % 5 + 1, "unit_price_chf": 2400, "needed_by": format!("2031-{:02}-20", index % 12 + 1)})
        }
        _ => {
            json!({"category": "vehicle", "spec": {"class": "passenger_car", "drive": "electric", "seats": 5, "all_wheel_drive": false},
                     "quantity": 1, "unit_price_chf": 45_000, "needed_by": format!("2031-{:02}-25", index % 12 + 1)})
        }
    }
}

#[actix_web::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let secret = match (&args.jwt_secret, &args.secret_file) {
        (Some(secret), _) => secret.clone(),
        (None, Some(file)) => {
            std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?.trim().to_owned()
        }
        (None, None) => return Err("give --secret-file or --jwt-secret (TENDERPOOL_JWT_SECRET)".to_owned()),
    };
    let keys = Keys::hs256(secret.as_bytes(), None, None)?;
    let admin = keys.issue("load-admin", Role::Admin, None, 7200)?;
    let officer = keys.issue("load-officer", Role::Officer, None, 7200)?;
    let client = Client::builder().timeout(Duration::from_secs(30)).finish();
    let base = args.url.trim_end_matches('/').to_owned();
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id());
    let run = format!("{:06x}", Random(seed | 1).next() & 0xff_ffff);

    let root = format!("load-{run}");
    let (status, _) = send(
        &client,
        "POST",
        &format!("{base}/api/v1/units"),
        &admin,
        Some(&json!({"id": root, "name": "Load test", "kind": "other"})),
        None,
    )
    .await;
    if status != 201 {
        return Err(format!("cannot create units (HTTP {status}); is the server at {base} and the secret right?"));
    }
    let mut units = Vec::new();
    for i in 0..args.units {
        let id = format!("{root}-u{i}");
        let body = json!({"id": id, "name": format!("Load unit {i}"), "kind": "office", "parent_id": root});
        send(&client, "POST", &format!("{base}/api/v1/units"), &admin, Some(&body), None).await;
        units.push((id.clone(), keys.issue(&format!("clerk-{i}"), Role::Unit, Some(&id), 7200)?));
    }
    let units = Rc::new(units);
    println!(
        "run {run}: {} units, {} clients, {} demands, {} reads per phase against {base}",
        args.units, args.clients, args.demands, args.reads
    );

    let acknowledged: Rc<std::cell::RefCell<Vec<String>>> = Rc::default();
    let resent = Rc::new(std::cell::Cell::new(0usize));
    let create = {
        let (client, base, units, acknowledged, resent, run) =
            (client.clone(), base.clone(), units.clone(), acknowledged.clone(), resent.clone(), run.clone());
        let resend_percent = args.resend_percent;
        phase("create", args.clients, args.demands, move |index| {
            let (client, base, units, acknowledged, resent, run) =
                (client.clone(), base.clone(), units.clone(), acknowledged.clone(), resent.clone(), run.clone());
            async move {
                let (_, token) = &units[index % units.len()];
                let key = format!("{run}-{index}");
                let body = demand(index);
                let url = format!("{base}/api/v1/demands");
                let (status, reply) = send(&client, "POST", &url, token, Some(&body), Some(&key)).await;
                let mut id = reply["id"].as_str().map(str::to_owned);
                if Random(index as u64 * 2_654_435_761 + 1).next() % 100 < resend_percent {
                    // A client that did not see the answer sends the same request again.
                    let (again_status, again) = send(&client, "POST", &url, token, Some(&body), Some(&key)).await;
                    resent.set(resent.get() + 1);
                    if again_status == 201 && id.is_some() && again["id"].as_str() != id.as_deref() {
                        eprintln!("DOUBLE: key {key} answered two different demands");
                        return false;
                    }
                    id = id.or(again["id"].as_str().map(str::to_owned));
                }
                match (status, id) {
                    (201, Some(id)) => {
                        acknowledged.borrow_mut().push(id);
                        true
                    }
                    _ => false,
                }
            }
        })
        .await
    };
    let ids = Rc::new(acknowledged.borrow().clone());

    let get = {
        let (client, base, ids, officer) = (client.clone(), base.clone(), ids.clone(), officer.clone());
        phase("get by id", args.clients, args.reads, move |index| {
            let (client, base, ids, officer) = (client.clone(), base.clone(), ids.clone(), officer.clone());
            async move {
                let id = &ids[Random(index as u64 + 7).next() as usize % ids.len().max(1)];
                get_status(&client, &format!("{base}/api/v1/demands/{id}"), &officer).await == 200
            }
        })
        .await
    };
    let list = {
        let (client, base, units) = (client.clone(), base.clone(), units.clone());
        phase("list", args.clients, args.reads / 5, move |index| {
            let (client, base, units) = (client.clone(), base.clone(), units.clone());
            async move {
                let (_, token) = &units[index % units.len()];
                get_status(&client, &format!("{base}/api/v1/demands?limit=50&offset={}", index % 7 * 50), token).await
                    == 200
            }
        })
        .await
    };
    let health = {
        let (client, base) = (client.clone(), base.clone());
        phase("health", args.clients, args.reads, move |_| {
            let (client, base) = (client.clone(), base.clone());
            async move {
                // Reading the body lets the connection be reused, as in the other phases.
                match client.get(format!("{base}/health")).send().await {
                    Ok(mut reply) => reply.status().is_success() && reply.body().await.is_ok(),
                    Err(_) => false,
                }
            }
        })
        .await
    };
    let generate = {
        let (client, base, officer) = (client.clone(), base.clone(), officer.clone());
        phase("generate", 1, args.generates, move |_| {
            let (client, base, officer) = (client.clone(), base.clone(), officer.clone());
            async move {
                send(
                    &client,
                    "POST",
                    &format!("{base}/api/v1/proposals/generate"),
                    &officer,
                    Some(&json!({"budget_year": 2031})),
                    None,
                )
                .await
                .0 == 200
            }
        })
        .await
    };

    println!(
        "\n{:<14} {:>8} {:>7} {:>10} {:>9} {:>9} {:>9}",
        "phase", "ok", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms"
    );
    for phase in [&create, &get, &list, &health, &generate] {
        phase.report();
    }
    println!(
        "get by id / health throughput: {:.0} %",
        get.latencies.len() as f64 / get.elapsed.as_secs_f64() * 100.0
            / (health.latencies.len() as f64 / health.elapsed.as_secs_f64())
    );

    // Durability: every acknowledged demand is stored, once; nothing else is.
    let mut stored = Vec::new();
    for (unit, _) in units.iter() {
        let mut offset = 0;
        loop {
            let url = format!("{base}/api/v1/demands?unit_id={unit}&limit=500&offset={offset}");
            let (status, page) = send(&client, "GET", &url, &officer, None, None).await;
            if status != 200 {
                return Err(format!("cannot list demand of {unit}: HTTP {status}"));
            }
            let items = page["items"].as_array().cloned().unwrap_or_default();
            stored.extend(items.iter().filter_map(|item| item["id"].as_str().map(str::to_owned)));
            if items.len() < 500 {
                break;
            }
            offset += 500;
        }
    }
    let stored_set: HashSet<&String> = stored.iter().collect();
    let acknowledged_set: HashSet<&String> = ids.iter().collect();
    println!(
        "\ndurability: {} acknowledged, {} resent, {} stored, {} duplicates, {} acknowledged but missing, {} stored but never acknowledged",
        ids.len(),
        resent.get(),
        stored.len(),
        stored.len() - stored_set.len(),
        acknowledged_set.difference(&stored_set).count(),
        stored_set.difference(&acknowledged_set).count()
    );
    let exact = stored.len() == stored_set.len() && stored_set == acknowledged_set && create.errors == 0;
    println!("{}", if exact { "OK: exactly the acknowledged demands, once each" } else { "FAIL" });
    if exact {
        Ok(())
    } else {
        Err("durability check failed".to_owned())
    }
}
