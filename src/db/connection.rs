//! One connection type over SQLite and PostgreSQL, and an r2d2 manager that picks the
//! backend by URL scheme and reports the real connection error.

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::config::DatabaseLocation;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub struct Manager {
    location: DatabaseLocation,
}

impl Manager {
    pub fn new(location: DatabaseLocation) -> Self {
        Manager { location }
    }
}

/// WAL lets readers run beside the one writer; the busy timeout makes a second process
/// (a `seed` beside a running server) wait instead of failing. It comes first so that the
/// other pragmas wait for a lock too.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

pub fn establish(location: &DatabaseLocation) -> Result<DbConnection, diesel::r2d2::Error> {
    use diesel::r2d2::Error;
    match location {
        DatabaseLocation::Postgres(url) => {
            PgConnection::establish(url).map(DbConnection::Postgresql).map_err(Error::ConnectionError)
        }
        DatabaseLocation::Sqlite(path) => {
            create_parent_dir(path);
            let mut connection =
                SqliteConnection::establish(&path.to_string_lossy()).map_err(Error::ConnectionError)?;
            connection.batch_execute(SQLITE_PRAGMAS).map_err(Error::QueryError)?;
            Ok(DbConnection::Sqlite(connection))
        }
    }
}

fn create_parent_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        // A failure shows up as the connection error that follows.
        let _ = std::fs::create_dir_all(dir);
    }
}

impl diesel::r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        establish(&self.location)
    }

    fn is_valid(&self, connection: &mut DbConnection) -> Result<(), Self::Error> {
        diesel::r2d2::R2D2Connection::ping(connection).map_err(diesel::r2d2::Error::QueryError)
    }

    /// Checked when a connection returns to the pool: a connection PostgreSQL dropped is
    /// discarded then, instead of with a query on every checkout.
    fn has_broken(&self, connection: &mut DbConnection) -> bool {
        diesel::r2d2::R2D2Connection::is_broken(connection)
    }
}
