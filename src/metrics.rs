//! Prometheus metrics: requests by route and status, a latency histogram, and gauges read from
//! the database when scraped.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Counters {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
}

/// A gauge read at scrape time: name, help, and (labels, value) samples.
pub type Gauge<'a> = (&'a str, &'a str, Vec<(String, i64)>);

/// Shared by every worker of one process.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut counters) = self.counters.lock() else { return };
        *counters.requests.entry((method.to_owned(), route.to_owned(), status)).or_default() += 1;
        let histogram = counters.latency.entry(route.to_owned()).or_default();
        histogram.count += 1;
        histogram.sum += seconds;
        for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
    }

    /// The Prometheus text exposition of the counters, followed by `gauges`.
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let mut out = String::new();
        if let Ok(counters) = self.counters.lock() {
            out.push_str("# HELP tenderpool_http_requests_total HTTP requests by method, route pattern and status.\n");
            out.push_str("# TYPE tenderpool_http_requests_total counter\n");
            for ((method, route, status), count) in &counters.requests {
                let _ = writeln!(
                    out,
                    "tenderpool_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                    escape(route)
                );
            }
            out.push_str(
                "# HELP tenderpool_http_request_duration_seconds Time from request to response, by route pattern.\n",
            );
            out.push_str("# TYPE tenderpool_http_request_duration_seconds histogram\n");
            for (route, histogram) in &counters.latency {
                let route = escape(route);
                for (bound, count) in BUCKETS.iter().zip(histogram.counts) {
                    let _ = writeln!(
                        out,
                        "tenderpool_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                    );
                }
                let _ = writeln!(
                    out,
                    "tenderpool_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    histogram.count
                );
                let _ = writeln!(
                    out,
                    "tenderpool_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                    histogram.sum
                );
                let _ = writeln!(
                    out,
                    "tenderpool_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    histogram.count
                );
            }
        }
        for (name, help, samples) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        }
        out
    }
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Middleware: counts each request under its route pattern (never the raw path, whose ids
/// would make a series per demand).
pub async fn track(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = request.app_data::<web::Data<Metrics>>().cloned();
    let method = request.method().to_string();
    let response = next.call(request).await?;
    if let Some(metrics) = metrics {
        let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
        metrics.observe(&method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_buckets_render_as_prometheus_text() {
        let metrics = Metrics::default();
        metrics.observe("GET", "/api/v1/demands/{id}", 200, 0.003);
        metrics.observe("GET", "/api/v1/demands/{id}", 200, 0.2);
        let text =
            metrics.render(&[("tenderpool_demands", "Demand by status.", vec![("{status=\"draft\"}".to_owned(), 4)])]);
        assert!(text.contains(
            "tenderpool_http_requests_total{method=\"GET\",route=\"/api/v1/demands/{id}\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "tenderpool_http_request_duration_seconds_bucket{route=\"/api/v1/demands/{id}\",le=\"0.005\"} 1"
        ));
        assert!(text
            .contains("tenderpool_http_request_duration_seconds_bucket{route=\"/api/v1/demands/{id}\",le=\"0.25\"} 2"));
        assert!(text.contains("tenderpool_demands{status=\"draft\"} 4"));
    }
}
