use awc::http::Method;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tenderpool::auth::{Keys, Role};

use crate::helpers::{TestApp, SECRET};
use crate::on_both_backends;

on_both_backends!(bad_tokens_are_refused_with_401);

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn signed(claims: &Value, secret: &str) -> String {
    encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

/// A token with `alg: none` and no signature, as an attacker would forge it.
fn unsigned(claims: &Value) -> String {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = engine.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = engine.encode(claims.to_string());
    format!("{header}.{payload}.")
}

async fn bad_tokens_are_refused_with_401(app: TestApp) {
    app.seed_units().await;
    let valid = json!({"sub": "eve", "role": "officer", "iat": now(), "exp": now() + 600});
    assert_eq!(app.get("/api/v1/units", &signed(&valid, SECRET)).await.status, 200, "the baseline token works");

    let expired = json!({"sub": "eve", "role": "officer", "iat": now() - 7200, "exp": now() - 3600});
    let no_unit = json!({"sub": "eve", "role": "unit", "iat": now(), "exp": now() + 600});
    let unknown_role = json!({"sub": "eve", "role": "superuser", "iat": now(), "exp": now() + 600});
    let no_expiry = json!({"sub": "eve", "role": "officer", "iat": now()});
    let forged = [
        ("alg none", unsigned(&valid)),
        ("wrong signature", signed(&valid, "another-secret-another-secret-another-1")),
        ("expired", signed(&expired, SECRET)),
        ("unit without unit claim", signed(&no_unit, SECRET)),
        ("unknown role", signed(&unknown_role, SECRET)),
        ("no expiry", signed(&no_expiry, SECRET)),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (case, token) in forged {
        let reply = app.get("/api/v1/units", &token).await;
        assert_eq!(reply.status, 401, "{case}: {}", reply.text);
        reply.assert_problem(401);
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{case}");
    }
    app.send(Method::GET, "/api/v1/units", None, &[], None).await.assert_problem(401);
    let basic =
        app.send(Method::GET, "/api/v1/units", None, &[("authorization", "Basic YWRtaW46YWRtaW4=")], None).await;
    basic.assert_problem(401);
}

const RSA_PRIVATE: &[u8] = include_bytes!("../keys/rsa-private.pem");
const RSA_PUBLIC: &[u8] = include_bytes!("../keys/rsa-public.pem");
const EC_PRIVATE: &[u8] = include_bytes!("../keys/ec-private.pem");
const EC_PUBLIC: &[u8] = include_bytes!("../keys/ec-public.pem");

#[test]
fn identity_provider_keys_verify_rs256_and_es256_and_nothing_else() {
    let claims = json!({"sub": "idp-user", "role": "unit", "unit": "kg", "iat": now(), "exp": now() + 600,
                        "iss": "https://idp.lu.ch", "aud": "tenderpool"});
    let rsa = Keys::public_key(RSA_PUBLIC, Some("https://idp.lu.ch".into()), Some("tenderpool".into())).unwrap();
    let ec = Keys::public_key(EC_PUBLIC, Some("https://idp.lu.ch".into()), Some("tenderpool".into())).unwrap();
    let rs256 =
        encode(&Header::new(Algorithm::RS256), &claims, &EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap()).unwrap();
    let es256 =
        encode(&Header::new(Algorithm::ES256), &claims, &EncodingKey::from_ec_pem(EC_PRIVATE).unwrap()).unwrap();

    let user = rsa.verify(&rs256).unwrap();
    assert_eq!((user.role, user.unit.as_deref()), (Role::Unit, Some("kg")));
    assert_eq!(ec.verify(&es256).unwrap().sub, "idp-user");
    assert!(rsa.verify(&es256).is_err(), "an ES256 token does not pass an RS256 key");
    assert!(ec.verify(&rs256).is_err());
    // HS256 signed with the public key as secret: the classic algorithm confusion.
    let confused = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(RSA_PUBLIC)).unwrap();
    assert!(rsa.verify(&confused).is_err());
    let wrong_audience = json!({"sub": "x", "role": "officer", "iat": now(), "exp": now() + 600,
                                "iss": "https://idp.lu.ch", "aud": "other-app"});
    let token =
        encode(&Header::new(Algorithm::RS256), &wrong_audience, &EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap())
            .unwrap();
    assert!(rsa.verify(&token).is_err());
    assert!(rsa.issue("x", Role::Officer, None, 60).is_err(), "a public key cannot mint tokens");
}
