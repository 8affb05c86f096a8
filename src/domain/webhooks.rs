//! Webhooks by the Standard Webhooks specification: events, subscriptions, signatures and
//! the retry schedule.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;
use utoipa::ToSchema;

use super::validation::{FieldError, Fields};

/// What a subscriber can be told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "demand.submitted")]
    DemandSubmitted,
    #[serde(rename = "demand.withdrawn")]
    DemandWithdrawn,
    #[serde(rename = "proposal.generated")]
    ProposalGenerated,
    #[serde(rename = "proposal.approved")]
    ProposalApproved,
    #[serde(rename = "proposal.rejected")]
    ProposalRejected,
    #[serde(rename = "proposal.tendered")]
    ProposalTendered,
    #[serde(rename = "proposal.awarded")]
    ProposalAwarded,
    #[serde(rename = "proposal.cancelled")]
    ProposalCancelled,
}

impl EventType {
    pub const ALL: &'static [EventType] = &[
        EventType::DemandSubmitted,
        EventType::DemandWithdrawn,
        EventType::ProposalGenerated,
        EventType::ProposalApproved,
        EventType::ProposalRejected,
        EventType::ProposalTendered,
        EventType::ProposalAwarded,
        EventType::ProposalCancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::DemandSubmitted => "demand.submitted",
            EventType::DemandWithdrawn => "demand.withdrawn",
            EventType::ProposalGenerated => "proposal.generated",
            EventType::ProposalApproved => "proposal.approved",
            EventType::ProposalRejected => "proposal.rejected",
            EventType::ProposalTendered => "proposal.tendered",
            EventType::ProposalAwarded => "proposal.awarded",
            EventType::ProposalCancelled => "proposal.cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<EventType> {
        EventType::ALL.iter().copied().find(|event| event.as_str() == text)
    }
}

/// A validated subscription request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    pub url: String,
    pub events: Vec<EventType>,
}

/// The host of an `http(s)://` URL, or why it is not one.
pub fn url_host(url: &str) -> Result<&str, String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must be an http:// or https:// URL")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_and_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(bracketed) = host_and_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        host_and_port.split(':').next().unwrap_or("")
    };
    if host.is_empty() || url.len() > 2000 || url.chars().any(char::is_whitespace) {
        return Err("must be an http:// or https:// URL with a host".to_owned());
    }
    Ok(host)
}

/// Parses `POST /api/v1/webhooks`; with a non-empty allow-list, the URL's host must be on it.
pub fn parse_subscription(body: &Value, allowed_hosts: &[String]) -> Result<NewSubscription, Vec<FieldError>> {
    let mut fields = Fields::of(body, "").map_err(|error| vec![error])?;
    let url = fields.required("url", |value| {
        let url = value.as_str().ok_or("must be a string")?;
        let host = url_host(url)?;
        if !allowed_hosts.is_empty() && !allowed_hosts.iter().any(|allowed| allowed.eq_ignore_ascii_case(host)) {
            return Err(format!("the host {host} is not on the allow-list of webhook hosts"));
        }
        Ok(url.to_owned())
    });
    let events = fields.required("events", |value| {
        let items = value.as_array().filter(|items| !items.is_empty()).ok_or("must be a non-empty list of events")?;
        let mut events = Vec::new();
        for item in items {
            let event = item.as_str().and_then(EventType::parse).ok_or_else(|| {
                let names: Vec<&str> = EventType::ALL.iter().map(|event| event.as_str()).collect();
                format!("each event must be one of: {}", names.join(", "))
            })?;
            if !events.contains(&event) {
                events.push(event);
            }
        }
        Ok(events)
    });
    fields.reject_unknown(&["url", "events"], |field| match field {
        "secret" | "id" | "active" | "created_at" => "is read-only",
        _ => "is not a field of a webhook subscription",
    });
    let subscription = (|| Some(NewSubscription { url: url?, events: events? }))();
    fields.into_result(subscription)
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret(random: [u8; 32]) -> String {
    format!("whsec_{}", STANDARD.encode(random))
}

/// The `webhook-signature` header: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`,
/// keyed with the secret's decoded bytes.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|error| format!("the webhook secret is not base64: {error}"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|error| error.to_string())?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// Seconds to wait after the `attempts`-th failure: `base`, then doubling, at most an hour.
pub fn retry_delay_seconds(attempts: u32, base_seconds: u64) -> u64 {
    let doublings = attempts.saturating_sub(1).min(20);
    base_seconds.saturating_mul(1 << doublings).min(3600)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signatures_match_the_standard_webhooks_example() {
        // The example from the Standard Webhooks specification's reference implementation.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let signed = signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body).unwrap();
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn retries_start_within_ten_seconds_and_grow() {
        assert_eq!(retry_delay_seconds(1, 5), 5);
        assert_eq!(retry_delay_seconds(2, 5), 10);
        assert_eq!(retry_delay_seconds(5, 5), 80);
        assert_eq!(retry_delay_seconds(30, 5), 3600);
    }

    #[test]
    fn subscriptions_need_http_urls_known_events_and_allowed_hosts() {
        let ok =
            parse_subscription(&json!({"url": "https://finance.lu.ch/hooks", "events": ["proposal.approved"]}), &[]);
        assert_eq!(ok.unwrap().events, [EventType::ProposalApproved]);
        let errors = parse_subscription(&json!({"url": "ftp://x", "events": ["proposal.eaten"], "secret": "s"}), &[])
            .unwrap_err();
        let names: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["url", "events", "secret"]);
        let allowed = ["hooks.lu.ch".to_owned()];
        assert!(parse_subscription(&json!({"url": "http://evil.example/x", "events": ["demand.submitted"]}), &allowed)
            .is_err());
        assert!(parse_subscription(
            &json!({"url": "http://hooks.lu.ch:8443/x", "events": ["demand.submitted"]}),
            &allowed
        )
        .is_ok());
        assert_eq!(url_host("http://user@[::1]:80/x"), Ok("::1"));
    }
}
