//! Tokens whose signature and claims were checked, remembered until they expire.
//!
//! A client sends the same token with every request; checking its signature again each time
//! cost about a tenth of a `GET /api/v1/demands/{id}`. Only tokens that passed every check are
//! remembered, keyed by the whole token, so a changed byte is verified afresh.

use std::collections::HashMap;
use std::sync::Mutex;

use super::AuthUser;

/// Enough for every clerk of a canton at once; beyond it, expired entries go, then all.
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct VerifiedTokens {
    entries: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    user: AuthUser,
    /// The last second (Unix time) at which the token is still accepted.
    valid_until: u64,
}

impl VerifiedTokens {
    /// The caller of `token` if it was verified before and is still valid at `now`.
    pub fn get(&self, token: &str, now: u64) -> Option<AuthUser> {
        let mut entries = self.entries.lock().ok()?;
        match entries.get(token) {
            Some(entry) if now <= entry.valid_until => Some(entry.user.clone()),
            Some(_) => {
                entries.remove(token);
                None
            }
            None => None,
        }
    }

    /// Remembers a token that has just passed verification.
    pub fn insert(&self, token: &str, user: &AuthUser, valid_until: u64, now: u64) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= CAPACITY {
            entries.retain(|_, entry| now <= entry.valid_until);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(token.to_owned(), Entry { user: user.clone(), valid_until });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn clerk() -> AuthUser {
        AuthUser { sub: "anna".to_owned(), role: Role::Unit, unit: Some("fd-dii".to_owned()) }
    }

    #[test]
    fn a_token_is_remembered_until_it_expires() {
        let tokens = VerifiedTokens::default();
        tokens.insert("t", &clerk(), 100, 50);
        assert_eq!(tokens.get("t", 100).map(|user| user.sub), Some("anna".to_owned()));
        assert!(tokens.get("t", 101).is_none(), "expired");
        assert!(tokens.get("t", 50).is_none(), "an expired entry is forgotten");
        assert!(tokens.get("u", 50).is_none(), "another token is not known");
    }

    #[test]
    fn a_full_cache_drops_expired_entries_first() {
        let tokens = VerifiedTokens::default();
        for index in 0..CAPACITY {
            let valid_until = if index == 0 { 1_000 } else { 10 };
            tokens.insert(&format!("t{index}"), &clerk(), valid_until, 5);
        }
        tokens.insert("new", &clerk(), 1_000, 20);
        assert!(tokens.get("t0", 20).is_some(), "a valid entry stays");
        assert!(tokens.get("new", 20).is_some());
        assert_eq!(tokens.entries.lock().unwrap().len(), 2);
    }
}
