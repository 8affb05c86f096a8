//! The `tenderpool` command line: parse, then call the library.

use std::process::ExitCode;

use clap::Parser;
use tenderpool::config::Cli;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    match tenderpool::commands::run(&cli.settings, cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tenderpool: {message}");
            ExitCode::FAILURE
        }
    }
}
