//! tenderpool: joint public procurement. Units report planned purchases; tenderpool bundles
//! compatible demand into joint tender proposals for procurement officers.

pub mod api;
pub mod auth;
pub mod commands;
pub mod config;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod seed;
pub mod seed_demand;
pub mod server;

/// Lowercase hex of `bytes`, for secrets and request hashes.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}
