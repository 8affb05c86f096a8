//! Black-box tests: the real server over HTTP, on SQLite and on PostgreSQL.

mod helpers;

mod audit;
mod auth;
mod cli;
mod demands;
mod errors;
mod idempotency;
mod imports;
mod ocds;
mod openapi;
mod persistence;
mod processes;
mod proposals;
mod security;
mod units;
mod webhooks;
