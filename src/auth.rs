//! Bearer JWTs: claims, roles, keys, and the `AuthUser` extractor.

mod verified;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::{DatabaseLocation, Settings};
use crate::db::Database;
use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A clerk of one unit.
    Unit,
    /// A procurement officer or the coordination office.
    Officer,
    /// Another government system: reads what officers read.
    Integration,
    /// The operator.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Unit => "unit",
            Role::Officer => "officer",
            Role::Integration => "integration",
            Role::Admin => "admin",
        }
    }

    fn parse(text: &str) -> Option<Role> {
        match text {
            "unit" => Some(Role::Unit),
            "officer" => Some(Role::Officer),
            "integration" => Some(Role::Integration),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The claims tenderpool reads; `role` stays a string so an unknown role is a clear 401.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    pub exp: u64,
    pub iat: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// Who is calling, after the token was verified.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub sub: String,
    pub role: Role,
    /// Always set for role `unit`.
    pub unit: Option<String>,
}

impl AuthUser {
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("the role {:?} may not do this", self.role).to_lowercase()))
        }
    }

    /// Officers, integrations and admins read every unit's data; a unit only its own.
    pub fn reads_everything(&self) -> bool {
        self.role != Role::Unit
    }

    /// The unit a `unit` token is scoped to; `None` for the other roles.
    pub fn scoped_unit(&self) -> Option<&str> {
        match self.role {
            Role::Unit => self.unit.as_deref(),
            _ => None,
        }
    }
}

/// The key material and rules for verifying (and, with a secret, issuing) tokens.
pub struct Keys {
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    algorithm: Algorithm,
    validation: Validation,
    issuer: Option<String>,
    audience: Option<String>,
    verified: verified::VerifiedTokens,
}

const MIN_SECRET_BYTES: usize = 32;

impl Keys {
    pub fn hs256(secret: &[u8], issuer: Option<String>, audience: Option<String>) -> Result<Keys, String> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!("the JWT secret must be at least {MIN_SECRET_BYTES} bytes"));
        }
        Ok(Keys::new(
            DecodingKey::from_secret(secret),
            Some(EncodingKey::from_secret(secret)),
            Algorithm::HS256,
            issuer,
            audience,
        ))
    }

    /// An RS256 or ES256 public key in PEM, told apart by trying RSA first.
    pub fn public_key(pem: &[u8], issuer: Option<String>, audience: Option<String>) -> Result<Keys, String> {
        let (decoding, algorithm) = match DecodingKey::from_rsa_pem(pem) {
            Ok(key) => (key, Algorithm::RS256),
            Err(_) => DecodingKey::from_ec_pem(pem)
                .map(|key| (key, Algorithm::ES256))
                .map_err(|error| format!("the public key is neither an RSA nor an EC PEM key: {error}"))?,
        };
        Ok(Keys::new(decoding, None, algorithm, issuer, audience))
    }

    fn new(
        decoding: DecodingKey,
        encoding: Option<EncodingKey>,
        algorithm: Algorithm,
        issuer: Option<String>,
        audience: Option<String>,
    ) -> Keys {
        // Only the configured algorithm is accepted: no `none`, no RS/HS confusion.
        let mut validation = Validation::new(algorithm);
        validation.leeway = 30;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        match &issuer {
            Some(issuer) => validation.set_issuer(&[issuer]),
            None => validation.iss = None,
        }
        match &audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        Keys {
            decoding,
            encoding,
            algorithm,
            validation,
            issuer,
            audience,
            verified: verified::VerifiedTokens::default(),
        }
    }

    /// The keys the settings call for: a public key, a secret, or the generated secret file
    /// beside the SQLite database.
    pub fn from_settings(settings: &Settings) -> Result<Keys, String> {
        let issuer = settings.jwt_issuer.clone();
        let audience = settings.jwt_audience.clone();
        if let Some(path) = &settings.jwt_public_key_file {
            let pem = fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            return Keys::public_key(&pem, issuer, audience);
        }
        if let Some(secret) = &settings.jwt_secret {
            return Keys::hs256(secret.as_bytes(), issuer, audience);
        }
        match settings.database()? {
            DatabaseLocation::Sqlite(path) => {
                let secret = load_or_create_secret(&secret_file_beside(&path))?;
                Keys::hs256(secret.as_bytes(), issuer, audience)
            }
            // Several instances share one PostgreSQL: a per-machine secret would split them.
            DatabaseLocation::Postgres(_) => {
                Err("with PostgreSQL, set TENDERPOOL_JWT_SECRET or TENDERPOOL_JWT_PUBLIC_KEY_FILE".to_owned())
            }
        }
    }

    /// Signs a token; only possible with an HS256 secret.
    pub fn issue(&self, sub: &str, role: Role, unit: Option<&str>, ttl_seconds: u64) -> Result<String, String> {
        let encoding = self
            .encoding
            .as_ref()
            .ok_or("tokens for this deployment are issued by the identity provider (a public key is configured)")?;
        if role == Role::Unit && unit.is_none() {
            return Err("a token for role unit needs --unit".to_owned());
        }
        let now = now_seconds();
        let claims = Claims {
            sub: sub.to_owned(),
            role: role.as_str().to_owned(),
            unit: unit.map(str::to_owned),
            exp: now + ttl_seconds,
            iat: now,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, encoding).map_err(|error| error.to_string())
    }

    pub fn verify(&self, token: &str) -> Result<AuthUser, ApiError> {
        let now = now_seconds();
        if let Some(user) = self.verified.get(token, now) {
            return Ok(user);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|error| ApiError::Unauthorized(format!("invalid token: {error}")))?;
        let claims = data.claims;
        let role = Role::parse(&claims.role)
            .ok_or_else(|| ApiError::Unauthorized(format!("unknown role {:?}", claims.role)))?;
        if role == Role::Unit && claims.unit.as_deref().is_none_or(str::is_empty) {
            return Err(ApiError::Unauthorized("a unit token must name its unit".to_owned()));
        }
        let user = AuthUser { sub: claims.sub, role, unit: claims.unit };
        // Accepted for as long as the decoder would accept it: up to `exp` plus the leeway.
        self.verified.insert(token, &user, claims.exp.saturating_add(self.validation.leeway), now);
        Ok(user)
    }
}

fn now_seconds() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

pub fn secret_file_beside(database: &Path) -> PathBuf {
    let mut name = database.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(".jwt-secret");
    database.with_file_name(name)
}

/// Reads the secret file, or creates it with 32 random bytes (hex) and mode 0600.
fn load_or_create_secret(path: &Path) -> Result<String, String> {
    if let Ok(existing) = fs::read_to_string(path) {
        return Ok(existing.trim().to_owned());
    }
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
    }
    let secret = crate::to_hex(&rand::random::<[u8; 32]>());
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(secret.as_bytes()).map_err(|error| format!("cannot write {}: {error}", path.display()))?;
            log::info!("created a new JWT secret in {}", path.display());
            Ok(secret)
        }
        // Another process created it first: use theirs.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => fs::read_to_string(path)
            .map(|text| text.trim().to_owned())
            .map_err(|error| format!("cannot read {}: {error}", path.display())),
        Err(error) => Err(format!("cannot create {}: {error}", path.display())),
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<AuthUser, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = authenticate(request);
        let database = request.app_data::<web::Data<Database>>().cloned();
        Box::pin(async move {
            let user = user?;
            if let Some(unit) = user.unit.as_deref().filter(|_| user.role == Role::Unit) {
                // A validly signed token for a unit nobody created speaks for no one.
                let database = database.ok_or_else(|| ApiError::internal("the database is not configured"))?;
                if !database.unit_exists(unit).await? {
                    return Err(ApiError::Unauthorized(format!("the token's unit {unit:?} does not exist")));
                }
            }
            Ok(user)
        })
    }
}

fn authenticate(request: &HttpRequest) -> Result<AuthUser, ApiError> {
    let keys = request
        .app_data::<web::Data<Keys>>()
        .ok_or_else(|| ApiError::internal("authentication keys are not configured"))?;
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("missing Authorization: Bearer token".to_owned()))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|text| text.strip_prefix("Bearer ").or_else(|| text.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::Unauthorized("the Authorization header must be Bearer <token>".to_owned()))?;
    keys.verify(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn issued_tokens_verify_with_their_role_and_unit() {
        let keys = Keys::hs256(SECRET, None, None).unwrap();
        let token = keys.issue("anna", Role::Unit, Some("buwd-vif"), 60).unwrap();
        let user = keys.verify(&token).unwrap();
        assert_eq!((user.sub.as_str(), user.role, user.unit.as_deref()), ("anna", Role::Unit, Some("buwd-vif")));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(Keys::hs256(b"short", None, None).is_err());
    }

    #[test]
    fn audience_and_issuer_are_enforced_when_configured() {
        let issuing = Keys::hs256(SECRET, Some("idp".into()), Some("other".into())).unwrap();
        let checking = Keys::hs256(SECRET, Some("idp".into()), Some("tenderpool".into())).unwrap();
        let token = issuing.issue("x", Role::Officer, None, 60).unwrap();
        assert!(checking.verify(&token).is_err());
    }

    #[test]
    fn the_secret_file_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let path = secret_file_beside(&dir.path().join("tp.db"));
        assert!(path.ends_with("tp.db.jwt-secret"));
        let first = load_or_create_secret(&path).unwrap();
        assert_eq!(load_or_create_secret(&path).unwrap(), first);
        assert_eq!(first.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text as a bearer token is refused with 401, never a panic or a pass.
        #[test]
        fn arbitrary_tokens_are_refused(token in "[A-Za-z0-9_.=-]{0,300}") {
            let keys = Keys::hs256(b"0123456789abcdef0123456789abcdef", None, None).unwrap();
            prop_assert!(matches!(keys.verify(&token), Err(ApiError::Unauthorized(_))));
        }
    }
}
