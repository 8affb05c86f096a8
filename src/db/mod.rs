//! Storage: the connection pools, migrations, and one module per table group.

pub mod audit;
pub mod batch;
pub mod connection;
pub mod demands;
pub mod idempotency;
pub mod proposals;
pub mod reports;
pub mod schema;
pub mod units;
pub mod webhooks;

use std::time::Duration;

use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::r2d2::Pool;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseLocation;
use crate::error::ApiError;
pub use connection::DbConnection;
use connection::Manager;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any key: it only has to be the same for every tenderpool process on one database.
const MIGRATION_LOCK_KEY: i64 = 0x7465_6e64_6572;

/// Handles to the database; cloning is cheap.
#[derive(Clone)]
pub struct Database {
    reads: Pool<Manager>,
    /// SQLite has one writer at a time: a pool of one serialises writes in this process
    /// instead of failing them with `database is locked`. On PostgreSQL, the read pool.
    writes: Pool<Manager>,
    /// Writes run on their own threads, so a long one (a generation) never holds up the
    /// small pool of threads that serves reads.
    writer_queue: std::sync::mpsc::Sender<WriteJob>,
    /// `GET /api/v1/demands/{id}`, the most frequent read, coalesced into batches.
    demand_lookups: batch::Batcher<demands::DemandRow>,
    /// Units seen to exist. Units are never deleted, so a unit found once stays found.
    known_units: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

type WriteJob = Box<dyn FnOnce() + Send>;

/// Threads that take write jobs off one queue.
fn start_writers(count: usize) -> std::sync::mpsc::Sender<WriteJob> {
    let (sender, receiver) = std::sync::mpsc::channel::<WriteJob>();
    let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
    for index in 0..count {
        let receiver = receiver.clone();
        let spawned = std::thread::Builder::new().name(format!("tenderpool-writer-{index}")).spawn(move || loop {
            let job = match receiver.lock() {
                Ok(queue) => queue.recv(),
                Err(_) => return,
            };
            match job {
                // A panicking job must not take the writer down with it: with SQLite it is the
                // only one. Its caller gets an error when the job's answer channel is dropped.
                Ok(job) => {
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                        log::error!("a database write panicked; the writer carries on");
                    }
                }
                Err(_) => return,
            }
        });
        if let Err(error) = spawned {
            log::error!("cannot start a database writer thread: {error}");
        }
    }
    sender
}

impl Database {
    /// Runs pending migrations, then opens the pools.
    pub fn open(location: &DatabaseLocation, pool_size: u32) -> Result<Database, String> {
        let mut connection =
            connection::establish(location).map_err(|error| format!("cannot connect to the database: {error}"))?;
        run_migrations(&mut connection)?;
        drop(connection);
        let build = |size: u32| {
            Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                .connection_timeout(Duration::from_secs(10))
                // A test query on every checkout costs a parse per request; broken connections
                // are found when they come back instead (`has_broken`).
                .test_on_check_out(false)
                .build(Manager::new(location.clone()))
                .map_err(|error| format!("cannot open the database pool: {error}"))
        };
        let reads = build(pool_size.max(1))?;
        let (writes, writer_threads) = match location {
            DatabaseLocation::Sqlite(_) => (build(1)?, 1),
            DatabaseLocation::Postgres(_) => (reads.clone(), (pool_size as usize / 2).max(2)),
        };
        let demand_lookups =
            batch::Batcher::start("tenderpool-lookup", reads.clone(), demands::fetch_many, |row| &row.id)?;
        Ok(Database {
            reads,
            writes,
            writer_queue: start_writers(writer_threads),
            demand_lookups,
            known_units: std::sync::Arc::default(),
        })
    }

    /// Runs `work` on a pooled connection off the async workers.
    pub async fn read<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.reads.clone();
        actix_web::web::block(move || work(&mut *pool.get()?)).await?
    }

    /// One demand by id, read together with the lookups waiting beside it.
    pub async fn demand(&self, id: String) -> Result<Option<demands::DemandRow>, ApiError> {
        self.demand_lookups.get(id).await
    }

    /// Whether unit `id` exists; asks the database only until it has seen the unit once.
    pub async fn unit_exists(&self, id: &str) -> Result<bool, ApiError> {
        if self.known_units.lock().is_ok_and(|known| known.contains(id)) {
            return Ok(true);
        }
        let lookup = id.to_owned();
        let exists = self.read(move |conn| Ok(units::find(conn, &lookup)?.is_some())).await?;
        if exists {
            if let Ok(mut known) = self.known_units.lock() {
                known.insert(id.to_owned());
            }
        }
        Ok(exists)
    }

    /// Runs `work` in one transaction off the async workers: all of it commits, or none.
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let database = self.clone();
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: WriteJob = Box::new(move || {
            let _ = answer.send(database.write_blocking(work));
        });
        self.writer_queue.send(job).map_err(|_| ApiError::internal("the database writer threads stopped"))?;
        answered.await.map_err(|_| ApiError::internal("a database write was dropped"))?
    }

    /// `write` for callers outside the HTTP server (the command line).
    pub fn write_blocking<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError>,
    {
        let mut pooled = self.writes.get()?;
        let connection: &mut DbConnection = &mut pooled;
        connection.transaction(work)
    }
}

fn run_migrations(connection: &mut DbConnection) -> Result<(), String> {
    let result = match connection {
        DbConnection::Sqlite(sqlite) => sqlite.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        DbConnection::Postgresql(pg) => {
            use diesel::RunQueryDsl;
            // Several instances may start at once: one migrates, the others wait.
            diesel::sql_query("SELECT pg_advisory_lock($1)")
                .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_KEY)
                .execute(pg)
                .map_err(|error| format!("cannot take the migration lock: {error}"))?;
            let result = pg.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ());
            let _ = diesel::sql_query("SELECT pg_advisory_unlock($1)")
                .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_KEY)
                .execute(pg);
            result
        }
    };
    result.map_err(|error| format!("migrations failed: {error}"))
}

/// Inserts many rows in chunks. Multi-row inserts do not compile on the multi-backend
/// connection, so this runs them on the inner connection of either backend.
macro_rules! insert_all {
    ($connection:expr, $table:expr, $rows:expr) => {{
        let mut inserted = 0usize;
        for chunk in $rows.chunks(500) {
            inserted += match &mut *$connection {
                $crate::db::DbConnection::Sqlite(inner) => diesel::insert_into($table).values(chunk).execute(inner)?,
                $crate::db::DbConnection::Postgresql(inner) => {
                    diesel::insert_into($table).values(chunk).execute(inner)?
                }
            };
        }
        inserted
    }};
}
pub(crate) use insert_all;

/// The current instant, truncated to microseconds so SQLite and PostgreSQL store the same.
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
