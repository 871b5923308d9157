//! One log line per request: method, route, status and duration.
//!
//! The route is the matched template (`/v1/website/{website_id}/conversation/{session_id}`),
//! so ids, e-mail addresses and query strings stay out of the log; only a request that matched
//! no route is logged with its path. Headers (credentials) and bodies are never logged.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// Logs the request once it is answered, with `tracing` at the `info` level.
pub(crate) async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_owned(),
        None => request.uri().path().to_owned(),
    };
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        target: "crisp_sandbox",
        "{}",
        line(&method, &route, response.status(), started.elapsed())
    );
    response
}

/// The log line: `GET /v1/website/{website_id} 200 1.25 ms`.
pub(crate) fn line(method: &Method, route: &str, status: StatusCode, elapsed: Duration) -> String {
    let millis = elapsed.as_secs_f64() * 1000.0;
    format!("{method} {route} {} {millis:.2} ms", status.as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_method_route_status_and_duration() {
        let line = line(
            &Method::GET,
            "/v1/website/{website_id}",
            StatusCode::NOT_FOUND,
            Duration::from_micros(1250),
        );
        assert_eq!(line, "GET /v1/website/{website_id} 404 1.25 ms");
    }
}
