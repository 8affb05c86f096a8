use std::process::Command;

use tenderpool::auth::Keys;
use tenderpool::config::{Cli, DatabaseLocation};

const BINARY: &str = env!("CARGO_BIN_EXE_tenderpool");

fn run(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BINARY)
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("TENDERPOOL_JWT_SECRET")
        .env_remove("TENDERPOOL_JWT_PUBLIC_KEY_FILE")
        .output()
        .expect("run tenderpool");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `migrate`, `seed --demo` and `token` with no configuration: the default SQLite file and a
/// generated secret beside it, which verifies the printed token.
#[test]
fn the_command_line_works_with_no_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = run(dir.path(), &["migrate"]);
    assert!(ok, "{stderr}");
    assert!(dir.path().join("tenderpool.db").exists());

    let (ok, stdout, stderr) = run(dir.path(), &["seed", "--demo", "--demand-lines", "50", "--year", "2030"]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "loaded 34 demo units and 50 lines of demand for 2030");
    let (ok, _, stderr) = run(dir.path(), &["seed", "--demo"]);
    assert!(!ok && stderr.contains("empty database"), "a second seed is refused: {stderr}");

    let (ok, token, stderr) = run(dir.path(), &["token", "--role", "unit", "--unit", "buwd-vif", "--sub", "anna"]);
    assert!(ok, "{stderr}");
    let secret_file = dir.path().join("tenderpool.db.jwt-secret");
    assert!(secret_file.exists());
    let settings = <Cli as clap::Parser>::parse_from([
        "tenderpool",
        "--database-url",
        &format!("sqlite://{}", dir.path().join("tenderpool.db").display()),
    ])
    .settings;
    assert!(matches!(settings.database().unwrap(), DatabaseLocation::Sqlite(_)));
    let user = Keys::from_settings(&settings).unwrap().verify(token.trim()).unwrap();
    assert_eq!((user.sub.as_str(), user.unit.as_deref()), ("anna", Some("buwd-vif")));

    let (ok, _, stderr) = run(dir.path(), &["token", "--role", "unit"]);
    assert!(!ok && stderr.contains("--unit"), "{stderr}");
    let (ok, document, _) = run(dir.path(), &["openapi"]);
    assert!(ok);
    assert_eq!(document, tenderpool::api::openapi_json());
}

#[test]
fn postgres_without_a_configured_key_is_refused() {
    let settings =
        <Cli as clap::Parser>::parse_from(["tenderpool", "--database-url", "postgres://postgres@127.0.0.1:5432/test"])
            .settings;
    let settings = tenderpool::config::Settings { jwt_secret: None, jwt_public_key_file: None, ..settings };
    let error = Keys::from_settings(&settings).err().expect("refused");
    assert!(error.contains("TENDERPOOL_JWT_SECRET"), "{error}");
}
