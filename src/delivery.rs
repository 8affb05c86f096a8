//! The webhook worker: claims due deliveries from the outbox, signs and posts them, records
//! every attempt, and retries failures with exponential backoff.

use std::time::Duration;

use awc::Client;
use chrono::Utc;
use futures_util::future::join_all;

use crate::db::webhooks::{self, Claimed};
use crate::db::Database;
use crate::domain::webhooks::{retry_delay_seconds, signature};

/// How the worker retries.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// The first retry waits this long; each further one twice as long (at most an hour).
    pub retry_base_seconds: u64,
    /// A delivery still failing this long after its event is given up.
    pub give_up_after: chrono::Duration,
    /// Hosts webhook URLs may point to; empty: any.
    pub allowed_hosts: Vec<String>,
}

const BATCH: i64 = 20;
const IDLE_POLL: Duration = Duration::from_millis(500);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

fn client() -> Client {
    let connector = match tls_connector() {
        Ok(tls) => awc::Connector::new().openssl(tls),
        Err(error) => {
            log::warn!("webhooks: no TLS ({error}); https deliveries will fail");
            awc::Connector::new()
        }
    };
    Client::builder().connector(connector).timeout(REQUEST_TIMEOUT).disable_redirects().finish()
}

/// TLS with the system's CA certificates (found where the distribution keeps them).
fn tls_connector() -> Result<openssl::ssl::SslConnector, openssl::error::ErrorStack> {
    let mut builder = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls())?;
    let probe = openssl_probe::probe();
    if let Some(file) = probe.cert_file {
        builder.set_ca_file(file)?;
    }
    Ok(builder.build())
}

/// Runs forever on the current actix runtime.
pub fn spawn_worker(database: Database, config: DeliveryConfig) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let client = client();
        loop {
            let claimed = database.write(|conn| webhooks::claim_due(conn, BATCH, chrono::Duration::seconds(60))).await;
            match claimed {
                Ok(jobs) if !jobs.is_empty() => {
                    join_all(jobs.into_iter().map(|job| deliver(&client, &database, &config, job))).await;
                }
                Ok(_) => actix_web::rt::time::sleep(IDLE_POLL).await,
                Err(error) => {
                    log::warn!("webhooks: cannot claim deliveries: {error}");
                    actix_web::rt::time::sleep(IDLE_POLL * 4).await;
                }
            }
        }
    })
}

async fn deliver(client: &Client, database: &Database, config: &DeliveryConfig, job: Claimed) {
    let timestamp = Utc::now().timestamp();
    let (status_code, error) = match signature(&job.secret, &job.job_id, timestamp, job.payload.as_bytes()) {
        Err(error) => (None, Some(error)),
        Ok(signed) => {
            let sent = client
                .post(&job.url)
                .insert_header(("content-type", "application/json"))
                .insert_header(("webhook-id", job.job_id.as_str()))
                .insert_header(("webhook-timestamp", timestamp.to_string()))
                .insert_header(("webhook-signature", signed))
                .send_body(job.payload.clone())
                .await;
            match sent {
                Ok(response) if response.status().is_success() => (Some(response.status().as_u16()), None),
                Ok(response) => (Some(response.status().as_u16()), Some(format!("answered {}", response.status()))),
                Err(error) => (None, Some(error.to_string())),
            }
        }
    };
    let attempt = u32::try_from(job.attempts + 1).unwrap_or(u32::MAX);
    let delay = chrono::Duration::seconds(
        i64::try_from(retry_delay_seconds(attempt, config.retry_base_seconds)).unwrap_or(3600),
    );
    let age = crate::db::now() - job.created_at;
    let retry_in = (age + delay <= config.give_up_after).then_some(delay);
    if let Some(error) = &error {
        log::info!("webhook {} attempt {attempt} to {} failed: {error}", job.job_id, job.url);
    }
    let recorded = database.write(move |conn| webhooks::record_attempt(conn, &job, status_code, error, retry_in)).await;
    if let Err(error) = recorded {
        log::warn!("webhooks: cannot record an attempt: {error}");
    }
}
