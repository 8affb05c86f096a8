//! Point reads by key, coalesced: requests that arrive while a lookup is running are answered
//! together by the next one, with one `WHERE id IN (…)` query.
//!
//! Under load, a round trip to the database and the hand-offs between threads cost far more
//! than reading one row. Sharing them between the requests waiting at the same moment keeps
//! `GET /api/v1/demands/{id}` fast (measured in the README); a lone request still goes
//! straight to the database, as it would without the batching. One thread serves the queue:
//! a second made the batches smaller and cost more than it overlapped (measured too).

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};

use diesel::r2d2::Pool;
use tokio::sync::oneshot;

use super::connection::Manager;
use super::DbConnection;
use crate::error::ApiError;

/// Keys one query asks for at most; more wait for the next query.
const MAX_BATCH: usize = 64;

/// Loads the rows among `keys` that exist, in any order.
pub type FetchMany<Row> = fn(&mut DbConnection, &[String]) -> Result<Vec<Row>, ApiError>;

struct Lookup<Row> {
    key: String,
    answer: oneshot::Sender<Result<Option<Row>, ApiError>>,
}

/// Point reads of one table, answered a batch at a time by one thread.
pub struct Batcher<Row> {
    queue: Sender<Lookup<Row>>,
}

impl<Row> Clone for Batcher<Row> {
    fn clone(&self) -> Self {
        Batcher { queue: self.queue.clone() }
    }
}

impl<Row: Clone + Send + 'static> Batcher<Row> {
    /// Starts the thread, named `name`, that reads with connections from `pool`.
    pub fn start(
        name: &str,
        pool: Pool<Manager>,
        fetch: FetchMany<Row>,
        key_of: fn(&Row) -> &str,
    ) -> Result<Self, String> {
        let (queue, receiver) = mpsc::channel::<Lookup<Row>>();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                while let Some(batch) = next_batch(&receiver) {
                    answer(batch, &pool, fetch, key_of);
                }
            })
            .map_err(|error| format!("cannot start the {name} thread: {error}"))?;
        Ok(Batcher { queue })
    }

    /// The row with `key`, if there is one.
    pub async fn get(&self, key: String) -> Result<Option<Row>, ApiError> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Lookup { key, answer })
            .map_err(|_| ApiError::internal("the database lookup thread stopped"))?;
        answered.await.map_err(|_| ApiError::internal("a database lookup was dropped"))?
    }
}

/// Waits for one lookup, then takes those already queued behind it. `None` once every
/// `Batcher` handle is gone.
fn next_batch<Row>(queue: &Receiver<Lookup<Row>>) -> Option<Vec<Lookup<Row>>> {
    let mut batch = vec![queue.recv().ok()?];
    while batch.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(lookup) => batch.push(lookup),
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
        }
    }
    Some(batch)
}

fn answer<Row: Clone>(batch: Vec<Lookup<Row>>, pool: &Pool<Manager>, fetch: FetchMany<Row>, key_of: fn(&Row) -> &str) {
    let mut keys: Vec<String> = batch.iter().map(|lookup| lookup.key.clone()).collect();
    keys.sort_unstable();
    keys.dedup();
    // A panic in the query must not end the thread: its callers get "dropped" instead.
    let fetched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut connection = pool.get()?;
        fetch(&mut connection, &keys)
    }));
    match fetched {
        Ok(Ok(rows)) => {
            let by_key: HashMap<&str, &Row> = rows.iter().map(|row| (key_of(row), row)).collect();
            for lookup in batch {
                let row = by_key.get(lookup.key.as_str()).map(|row| (*row).clone());
                // The caller may have gone (a closed connection); nothing to do then.
                let _ = lookup.answer.send(Ok(row));
            }
        }
        Ok(Err(error)) => {
            for lookup in batch {
                let _ = lookup.answer.send(Err(error.clone()));
            }
        }
        Err(_) => log::error!("a batched database lookup panicked; its callers get an error"),
    }
}
