//! What each subcommand does, once the command line is parsed.

use std::net::TcpListener;

use crate::auth::Keys;
use crate::config::{Command, Settings, TokenArgs};
use crate::db::Database;
use crate::server::{self, AppState};
use crate::{api, delivery, seed};

pub fn run(settings: &Settings, command: Option<Command>) -> Result<(), String> {
    match command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => {
            open_database(settings)?;
            log::info!("migrations are up to date");
            Ok(())
        }
        Command::Token(args) => token(settings, &args),
        Command::Seed(args) => {
            if !args.demo {
                return Err("say which data to load: tenderpool seed --demo".to_owned());
            }
            let database = open_database(settings)?;
            let year = args.year.unwrap_or_else(|| chrono::Datelike::year(&chrono::Utc::now().date_naive()) + 1);
            let loaded = seed::load_demo(&database, year, args.demand_lines).map_err(|error| error.to_string())?;
            println!("loaded {} demo units and {} lines of demand for {year}", loaded.units, loaded.demand);
            Ok(())
        }
        Command::Openapi => {
            print!("{}", api::openapi_json());
            Ok(())
        }
    }
}

fn open_database(settings: &Settings) -> Result<Database, String> {
    Database::open(&settings.database()?, settings.db_pool_size)
}

fn serve(settings: &Settings) -> Result<(), String> {
    let keys = Keys::from_settings(settings)?;
    let procurement = settings.procurement()?;
    let database = open_database(settings)?;
    let listener =
        TcpListener::bind(&settings.bind).map_err(|error| format!("cannot listen on {}: {error}", settings.bind))?;
    log::info!("tenderpool listens on http://{} (API docs at /docs/)", settings.bind);
    let mut state = AppState::new(database.clone(), keys, procurement, settings.delivery(), settings.body_limit);
    state.cors_origins.clone_from(&settings.cors_origins);
    let workers = settings.workers;
    let delivery_config = settings.delivery();
    actix_web::rt::System::new()
        .block_on(async move {
            server::spawn_housekeeping(database.clone());
            delivery::spawn_worker(database, delivery_config);
            server::listen(listener, state, workers)?.await
        })
        .map_err(|error| format!("server failed: {error}"))
}

fn token(settings: &Settings, args: &TokenArgs) -> Result<(), String> {
    let keys = Keys::from_settings(settings)?;
    let token = keys.issue(&args.sub, args.role, args.unit.as_deref(), args.ttl)?;
    println!("{token}");
    // On stderr, so that `TOKEN=$(tenderpool token …)` still captures the token alone.
    eprintln!("sign in to the web page: http://{}/ui/#token={token}", settings.bind);
    Ok(())
}
