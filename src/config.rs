//! Settings from command-line flags and environment variables (every flag has one).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::auth::Role;
use crate::delivery::DeliveryConfig;
use crate::domain::settings::ProcurementSettings;

#[derive(Debug, Parser)]
#[command(
    name = "tenderpool",
    version,
    about = "Joint public procurement: bundles units' planned purchases into joint tenders"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run pending migrations, then serve the API (the default).
    Serve,
    /// Run pending migrations and exit.
    Migrate,
    /// Print a signed token for development and scripts.
    Token(TokenArgs),
    /// Load demo data into an empty database.
    Seed(SeedArgs),
    /// Print the OpenAPI document.
    Openapi,
}

/// Settings every subcommand shares.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// `sqlite://PATH` (relative), `sqlite:///ABSOLUTE/PATH`, or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://tenderpool.db", global = true)]
    pub database_url: String,
    /// HS256 signing secret (at least 32 bytes).
    #[arg(long, env = "TENDERPOOL_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,
    /// PEM public key of the identity provider (RS256 or ES256 tokens).
    #[arg(long, env = "TENDERPOOL_JWT_PUBLIC_KEY_FILE", global = true)]
    pub jwt_public_key_file: Option<PathBuf>,
    /// Required `iss` claim, when set.
    #[arg(long, env = "TENDERPOOL_JWT_ISSUER", global = true)]
    pub jwt_issuer: Option<String>,
    /// Required `aud` claim, when set.
    #[arg(long, env = "TENDERPOOL_JWT_AUDIENCE", global = true)]
    pub jwt_audience: Option<String>,
    /// Maximum size of a request body in bytes.
    #[arg(long, env = "TENDERPOOL_BODY_LIMIT", default_value_t = 4 * 1024 * 1024, global = true)]
    pub body_limit: usize,
    /// TOML file with procurement settings (thresholds, lead times, savings assumptions).
    #[arg(long, env = "TENDERPOOL_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Address and port to serve on.
    #[arg(long, env = "TENDERPOOL_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: String,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "TENDERPOOL_WORKERS", global = true)]
    pub workers: Option<usize>,
    /// Seconds before the first retry of a failed webhook delivery (then doubling).
    #[arg(long, env = "TENDERPOOL_WEBHOOK_RETRY_SECONDS", default_value_t = 5, global = true)]
    pub webhook_retry_seconds: u64,
    /// Hours after which a failing webhook delivery is given up.
    #[arg(long, env = "TENDERPOOL_WEBHOOK_GIVE_UP_HOURS", default_value_t = 24, global = true)]
    pub webhook_give_up_hours: i64,
    /// Comma-separated hosts webhook URLs may point to (default: any).
    #[arg(long, env = "TENDERPOOL_WEBHOOK_ALLOWED_HOSTS", value_delimiter = ',', global = true)]
    pub webhook_allowed_hosts: Vec<String>,
    /// Comma-separated origins a browser may call the API from (default: none, CORS off).
    #[arg(long, env = "TENDERPOOL_CORS_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_origins: Vec<String>,
    /// Database connections per process (reads; SQLite writes use one more).
    #[arg(long, env = "TENDERPOOL_DB_POOL_SIZE", default_value_t = 8, global = true)]
    pub db_pool_size: u32,
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    #[arg(long, value_enum)]
    pub role: Role,
    /// The unit the token speaks for (required for role `unit`).
    #[arg(long)]
    pub unit: Option<String>,
    /// Who the token is for.
    #[arg(long, default_value = "dev")]
    pub sub: String,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    pub ttl: u64,
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Load the Canton of Lucerne demo data.
    #[arg(long)]
    pub demo: bool,
    /// How many lines of demo demand to load.
    #[arg(long, default_value_t = 3000)]
    pub demand_lines: usize,
    /// The budget year of the demo demand (default: next year).
    #[arg(long)]
    pub year: Option<i32>,
}

/// Where the data lives, decided by the scheme of the database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseLocation {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseLocation::Postgres(url.to_owned()));
        }
        match url.strip_prefix("sqlite://") {
            Some(path) if !path.is_empty() => Ok(DatabaseLocation::Sqlite(PathBuf::from(path))),
            _ => Err(format!(
                "unsupported database URL {url:?}: use sqlite://PATH, sqlite:///ABSOLUTE/PATH or postgres://…"
            )),
        }
    }
}

impl Settings {
    pub fn database(&self) -> Result<DatabaseLocation, String> {
        DatabaseLocation::parse(&self.database_url)
    }

    pub fn delivery(&self) -> DeliveryConfig {
        DeliveryConfig {
            retry_base_seconds: self.webhook_retry_seconds.max(1),
            give_up_after: chrono::Duration::hours(self.webhook_give_up_hours.max(0)),
            allowed_hosts: self
                .webhook_allowed_hosts
                .iter()
                .map(|host| host.trim().to_owned())
                .filter(|host| !host.is_empty())
                .collect(),
        }
    }

    /// The procurement settings: the defaults, overridden by the `--config` file.
    pub fn procurement(&self) -> Result<ProcurementSettings, String> {
        match &self.config {
            None => Ok(ProcurementSettings::default()),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
                ProcurementSettings::from_toml(&text).map_err(|error| format!("{}: {error}", path.display()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_choose_the_backend() {
        assert_eq!(
            DatabaseLocation::parse("sqlite://tenderpool.db"),
            Ok(DatabaseLocation::Sqlite(PathBuf::from("tenderpool.db")))
        );
        assert_eq!(
            DatabaseLocation::parse("sqlite:///var/lib/tenderpool/tp.db"),
            Ok(DatabaseLocation::Sqlite(PathBuf::from("/var/lib/tenderpool/tp.db")))
        );
        assert!(matches!(
            DatabaseLocation::parse("postgresql://postgres@127.0.0.1:5432/test"),
            Ok(DatabaseLocation::Postgres(_))
        ));
        assert!(DatabaseLocation::parse("mysql://x").is_err());
        assert!(DatabaseLocation::parse("sqlite://").is_err());
    }
}
