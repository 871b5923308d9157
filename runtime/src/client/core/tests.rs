//! Tests of [`ClientCore`] against a tiny local axum server.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method as AxumMethod, StatusCode as AxumStatus, Uri};
use axum::response::IntoResponse;
use axum::routing::{any, get, head, post};
use serde::Deserialize;

use super::*;
use crate::Tier;
use crate::client::ClientConfig;

/// `base64("website-id:s3cr3t")`.
const BASIC: &str = "Basic d2Vic2l0ZS1pZDpzM2NyM3Q=";

fn credentials() -> Credentials {
    Credentials::new("website-id", "s3cr3t", Tier::Plugin)
}

/// Echoes what the server received, inside a success envelope.
async fn echo(method: AxumMethod, uri: Uri, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let json = serde_json::json!({
        "error": false,
        "reason": "resolved",
        "data": {
            "method": method.as_str(),
            "path": uri.path(),
            "query": uri.query(),
            "authorization": header("authorization"),
            "tier": header("x-crisp-tier"),
            "user_agent": header("user-agent"),
            "accept": header("accept"),
            "content_type": header("content-type"),
            "body": String::from_utf8_lossy(&body),
        }
    });
    ([("content-type", "application/json")], json.to_string())
}

fn json_response(status: u16, body: &'static str) -> impl IntoResponse {
    (
        AxumStatus::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
}

fn router() -> Router {
    Router::new()
        .route("/echo/{*rest}", any(echo))
        .route(
            "/not-found",
            get(|| async {
                json_response(
                    404,
                    r#"{"error":true,"reason":"not_found","data":{"message":"conversation not found"}}"#,
                )
            }),
        )
        .route(
            "/error-without-message",
            get(|| async { json_response(403, r#"{"error":true,"reason":"not_allowed"}"#) }),
        )
        .route(
            "/error-in-success",
            any(|| async {
                json_response(200, r#"{"error":true,"reason":"invalid_data","data":{"message":"bad"}}"#)
            }),
        )
        .route(
            "/bad-item",
            get(|| async {
                json_response(
                    200,
                    r#"{"error":false,"reason":"resolved","data":{"items":[{"id":1},{"id":"two"}]}}"#,
                )
            }),
        )
        .route(
            "/no-data",
            any(|| async { json_response(200, r#"{"error":false,"reason":"resolved"}"#) }),
        )
        .route(
            "/html",
            get(|| async { (AxumStatus::BAD_GATEWAY, "<html>upstream é down</html>") }),
        )
        .route("/empty", post(|| async { AxumStatus::NO_CONTENT }))
        .route("/exists", head(|| async { AxumStatus::OK }))
        .route("/forbidden", head(|| async { AxumStatus::FORBIDDEN }))
        .route("/limited", head(|| async { AxumStatus::TOO_MANY_REQUESTS }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                json_response(200, r#"{"error":false,"reason":"resolved"}"#)
            }),
        )
}

/// Starts the test server on an ephemeral loopback port and returns its base URL.
async fn start() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = Router::new().nest("/v1", router());
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/v1/")
}

/// A core without retries, so each test sees exactly one attempt.
async fn core() -> ClientCore {
    config(&start().await).build().unwrap()
}

fn config(base_url: &str) -> ClientConfig {
    ClientConfig::new()
        .credentials(credentials())
        .base_url(base_url)
        .retry(RetryPolicy::disabled())
}

#[derive(Debug, Deserialize)]
struct Echo {
    method: String,
    path: String,
    query: Option<String>,
    authorization: Option<String>,
    tier: Option<String>,
    user_agent: Option<String>,
    accept: Option<String>,
    content_type: Option<String>,
    body: String,
}

#[tokio::test]
async fn sends_auth_tier_and_query() {
    let core = core().await;
    let mut query = QueryPairs::new();
    query.push_str("search", "a b&c");
    query.push_bool("unread", true);
    let path = format!(
        "/echo/{}/x",
        super::super::encode_path_segment("john@doe x")
    );
    let echo: Echo = core
        .send_json(Call::new("echoThing", Method::GET, "/test", path).query(query))
        .await
        .unwrap();
    assert_eq!(echo.method, "GET");
    // The router is nested under `/v1`, which it strips from the path.
    assert_eq!(echo.path, "/echo/john@doe%20x/x");
    assert_eq!(echo.query.as_deref(), Some("search=a+b%26c&unread=1"));
    assert_eq!(echo.authorization.as_deref(), Some(BASIC));
    assert_eq!(echo.tier.as_deref(), Some("plugin"));
    assert_eq!(echo.user_agent.as_deref(), Some(DEFAULT_USER_AGENT));
    assert_eq!(echo.accept.as_deref(), Some("application/json"));
    assert_eq!(echo.content_type, None);
    assert_eq!(echo.body, "");
}

#[tokio::test]
async fn sends_a_json_body_and_custom_user_agent() {
    let core = config(&start().await)
        .user_agent("crisp-client/9")
        .build()
        .unwrap();
    let body = serde_json::to_vec(&serde_json::json!({"a": 1})).unwrap();
    let echo: Echo = core
        .send_json(
            Call::new("sendThing", Method::POST, "/test", "/echo/a".to_owned()).body(Some(body)),
        )
        .await
        .unwrap();
    assert_eq!(echo.method, "POST");
    assert_eq!(echo.query, None);
    assert_eq!(echo.content_type.as_deref(), Some("application/json"));
    assert_eq!(echo.user_agent.as_deref(), Some("crisp-client/9"));
    assert_eq!(echo.body, r#"{"a":1}"#);
}

#[tokio::test]
async fn error_envelope_becomes_api_error() {
    let core = core().await;
    let error = core
        .send_json::<serde_json::Value>(Call::new(
            "getConversation",
            Method::GET,
            "/test",
            "/not-found".to_owned(),
        ))
        .await
        .unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(error.reason().map(Reason::as_str), Some("not_found"));
    assert_eq!(error.message(), Some("conversation not found"));
    assert_eq!(
        error.to_string(),
        "getConversation: not_found (404): conversation not found"
    );

    let error = core
        .send_json::<()>(Call::new(
            "getThing",
            Method::GET,
            "/test",
            "/error-without-message".to_owned(),
        ))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(error.reason().map(Reason::as_str), Some("not_allowed"));
    assert_eq!(error.message(), None);
}

#[tokio::test]
async fn error_envelope_in_a_success_is_an_api_error() {
    let core = core().await;
    let error = core
        .send_json::<Vec<u8>>(Call::new(
            "getThing",
            Method::GET,
            "/test",
            "/error-in-success".to_owned(),
        ))
        .await
        .unwrap_err();
    assert_eq!(error.reason().map(Reason::as_str), Some("invalid_data"));
    assert_eq!(error.message(), Some("bad"));
    let error = core
        .send_unit(Call::new(
            "doThing",
            Method::POST,
            "/test",
            "/error-in-success".to_owned(),
        ))
        .await
        .unwrap_err();
    assert_eq!(error.reason().map(Reason::as_str), Some("invalid_data"));
    assert_eq!(error.status(), Some(StatusCode::OK));
}

#[tokio::test]
async fn non_envelope_error_derives_reason_from_status() {
    let core = core().await;
    let error = core
        .send_json::<()>(Call::new(
            "getThing",
            Method::GET,
            "/test",
            "/html".to_owned(),
        ))
        .await
        .unwrap_err();
    assert_eq!(error.reason().map(Reason::as_str), Some("http_502"));
    assert_eq!(error.message(), Some("<html>upstream é down</html>"));
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "The fields are only decoded.")]
struct Items {
    items: Vec<Item>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "The fields are only decoded.")]
struct Item {
    id: u32,
}

#[tokio::test]
async fn decode_error_names_the_path() {
    let core = core().await;
    let error = core
        .send_json::<Items>(Call::new(
            "listItems",
            Method::GET,
            "/test",
            "/bad-item".to_owned(),
        ))
        .await
        .unwrap_err();
    let Error::Decode {
        operation,
        status,
        path,
        message,
        excerpt,
    } = &error
    else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(*operation, "listItems");
    assert_eq!(*status, StatusCode::OK);
    assert_eq!(path, "data.items[1].id");
    assert!(message.contains("invalid type"), "{message}");
    assert!(excerpt.starts_with(r#"{"error":false"#), "{excerpt}");
    assert!(
        error.to_string().starts_with("listItems: could not decode"),
        "{error}"
    );
}

#[tokio::test]
async fn missing_data_decodes_unit_and_option_only() {
    let core = core().await;
    let send = |path: &str| {
        core.send_json::<Option<Items>>(Call::new(
            "getThing",
            Method::GET,
            "/test",
            path.to_owned(),
        ))
    };
    assert!(send("/no-data").await.unwrap().is_none());
    core.send_json::<()>(Call::new(
        "getThing",
        Method::GET,
        "/test",
        "/no-data".to_owned(),
    ))
    .await
    .unwrap();
    let error = core
        .send_json::<Items>(Call::new(
            "getThing",
            Method::GET,
            "/test",
            "/no-data".to_owned(),
        ))
        .await
        .unwrap_err();
    let Error::Decode { path, message, .. } = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(path, "data");
    assert_eq!(message, "missing field `data`");
}

#[tokio::test]
async fn send_unit_accepts_empty_and_envelope_bodies() {
    let core = core().await;
    core.send_unit(Call::new(
        "doThing",
        Method::POST,
        "/test",
        "/empty".to_owned(),
    ))
    .await
    .unwrap();
    core.send_unit(Call::new(
        "doThing",
        Method::POST,
        "/test",
        "/no-data".to_owned(),
    ))
    .await
    .unwrap();
    let error = core
        .send_unit(Call::new(
            "doThing",
            Method::GET,
            "/test",
            "/not-found".to_owned(),
        ))
        .await
        .unwrap_err();
    assert!(error.is_not_found());
}

#[tokio::test]
async fn head_reports_existence() {
    let core = core().await;
    assert!(
        core.send_head(Call::new(
            "checkThing",
            Method::HEAD,
            "/test",
            "/exists".to_owned()
        ))
        .await
        .unwrap()
    );
    assert!(
        !core
            .send_head(Call::new(
                "checkThing",
                Method::HEAD,
                "/test",
                "/nothing-here".to_owned()
            ))
            .await
            .unwrap()
    );
    let error = core
        .send_head(Call::new(
            "checkThing",
            Method::HEAD,
            "/test",
            "/forbidden".to_owned(),
        ))
        .await
        .unwrap_err();
    assert_eq!(error.reason().map(Reason::as_str), Some("not_allowed"));
    assert_eq!(error.message(), None);
    let error = core
        .send_head(Call::new(
            "checkThing",
            Method::HEAD,
            "/test",
            "/limited".to_owned(),
        ))
        .await
        .unwrap_err();
    assert_eq!(error.reason().map(Reason::as_str), Some("rate_limited"));
    assert!(error.is_rate_limited());
}

#[tokio::test]
async fn timeout_is_reported_as_such() {
    let core = config(&start().await)
        .timeout(Some(Duration::from_millis(200)))
        .build()
        .unwrap();
    let error = core
        .send_unit(Call::new(
            "slowThing",
            Method::GET,
            "/test",
            "/slow".to_owned(),
        ))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(error.to_string(), "slowThing: the request timed out");
}

/// A port bound but not listening, and its base URL: connections are refused, and while the
/// caller holds the socket no test running in parallel can bind the port and answer.
fn refusing() -> (tokio::net::TcpSocket, String) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = socket.local_addr().unwrap();
    (socket, format!("http://{address}"))
}

#[tokio::test]
async fn connection_failure_is_a_transport_error_without_the_key() {
    let (_socket, base_url) = refusing();
    let core = config(&base_url).build().unwrap();
    let error = core
        .send_unit(Call::new("getThing", Method::GET, "/test", "/x".to_owned()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                operation: "getThing",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.to_string().contains("s3cr3t"));
    assert!(!format!("{error:?}").contains("s3cr3t"));
}

#[tokio::test]
async fn dot_segments_are_refused() {
    let core = core().await;
    for path in ["/website/../x", "/website/./x", "/website/.."] {
        let error = core
            .send_unit(Call::new("getThing", Method::GET, "/test", path.to_owned()))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Encode { .. }), "{error:?}");
    }
}

#[tokio::test]
async fn json_encodes_the_body() {
    let core = core().await;
    let echo: Echo = core
        .send_json(
            Call::new("sendThing", Method::POST, "/test", "/echo/a".to_owned())
                .json(&serde_json::json!({"a": [1, "b"]})),
        )
        .await
        .unwrap();
    assert_eq!(echo.content_type.as_deref(), Some("application/json"));
    assert_eq!(echo.body, r#"{"a":[1,"b"]}"#);
}

/// A map keyed by tuples: serde_json refuses to write it.
fn unserializable() -> std::collections::BTreeMap<(u8, u8), u8> {
    std::collections::BTreeMap::from([((1, 2), 3)])
}

/// A call that failed while it was built fails when sent, with `Error::Encode` naming the
/// operation and what did not serialize, and sends nothing: the base URL is a port nothing
/// listens on, where a request would fail as a transport error instead.
#[tokio::test]
async fn a_call_that_failed_to_build_fails_when_sent_and_sends_nothing() {
    let (_socket, base_url) = refusing();
    let core = config(&base_url).build().unwrap();
    let call = || Call::new("sendThing", Method::POST, "/test", "/x".to_owned());
    let mut query = QueryPairs::new();
    query.push_json("filter", &unserializable());
    let mut headers = HeaderPairs::new();
    headers.push_json("x-filter", &unserializable());
    let cases = [
        (
            "body",
            call().json(&unserializable()),
            "sendThing: could not encode the request: request body: key must be a string",
        ),
        (
            "query",
            call().query(query),
            "sendThing: could not encode the request: parameter `filter`: key must be a string",
        ),
        (
            "header",
            call().headers(headers),
            "sendThing: could not encode the request: parameter `x-filter`: key must be a string",
        ),
    ];
    for (case, call, message) in cases {
        let error = core.send_unit(call).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::Encode {
                    operation: "sendThing",
                    ..
                }
            ),
            "{case}: {error:?}"
        );
        assert_eq!(error.to_string(), message, "{case}");
    }
}

#[tokio::test]
async fn the_first_failure_of_a_call_is_the_one_reported() {
    let core = core().await;
    let mut query = QueryPairs::new();
    query.push_json("filter", &unserializable());
    let call = Call::new("sendThing", Method::POST, "/test", "/echo/a".to_owned())
        .query(query)
        .json(&unserializable());
    let error = core.send_unit(call).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "sendThing: could not encode the request: parameter `filter`: key must be a string"
    );
}

#[test]
fn base_urls_are_validated() {
    let ok = |url: &str| validate_base_url(url).unwrap();
    assert_eq!(ok(DEFAULT_BASE_URL), "https://api.crisp.chat/v1");
    assert_eq!(
        ok("https://api.crisp.chat/v1/"),
        "https://api.crisp.chat/v1"
    );
    assert_eq!(ok("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    for bad in [
        "",
        "api.crisp.chat",
        "ftp://api.crisp.chat",
        "https://",
        "https://api.crisp.chat/v1?x=1",
        "https://api.crisp.chat/v1#top",
    ] {
        let error = validate_base_url(bad).unwrap_err();
        assert!(
            matches!(error, Error::InvalidBaseUrl { .. }),
            "{bad}: {error:?}"
        );
    }
    let error = validate_base_url("https://id:s3cr3t@api.crisp.chat/v1").unwrap_err();
    assert!(!error.to_string().contains("s3cr3t"), "{error}");
    assert!(
        error
            .to_string()
            .contains("https://<redacted>@api.crisp.chat/v1"),
        "{error}"
    );
}

#[test]
fn userinfo_is_redacted() {
    assert_eq!(
        redact_userinfo("https://a:b@host/p@q"),
        "https://<redacted>@host/p@q"
    );
    assert_eq!(redact_userinfo("a:b@host"), "<redacted>@host");
    assert_eq!(redact_userinfo("https://host/x"), "https://host/x");
    assert_eq!(
        redact_userinfo("https://a@b@host"),
        "https://<redacted>@host"
    );
}

#[test]
fn excerpts_are_bounded_and_char_safe() {
    let long = "é".repeat(300);
    let excerpt = excerpt(long.as_bytes());
    assert_eq!(excerpt.chars().count(), EXCERPT_CHARS + 1);
    assert!(excerpt.ends_with('…'));
    assert_eq!(super::excerpt(b"\xff{}"), "\u{fffd}{}");
}

#[test]
fn debug_hides_the_key() {
    let core = ClientConfig::new()
        .credentials(credentials())
        .build()
        .unwrap();
    let debug = format!("{core:?}");
    assert!(!debug.contains("s3cr3t"), "{debug}");
    assert!(debug.contains("website-id"));
    assert_eq!(core.base_url(), DEFAULT_BASE_URL);
    assert_eq!(core.credentials().identifier(), "website-id");
}
