//! The generated router under faults and limits: panics, slow requests, large bodies, odd
//! methods, bodies of the wrong kind, tiers and plugin scopes. Every answer is Crisp's envelope.

use std::time::Duration;

use crisp_client::{Client, Credentials, Tier};
use crisp_server::{ApiError, Caller, RouterBuilder, Scopes, StaticTokens, WebsiteConversation};
use serde_json::{Value, json};

/// A conversation area whose `getConversation` panics or stalls on demand.
#[derive(Clone)]
struct Faulty;

impl WebsiteConversation for Faulty {
    async fn get_conversation(
        &self,
        _caller: Caller,
        _website_id: String,
        session_id: String,
    ) -> Result<crisp_models::Conversation, ApiError> {
        match session_id.as_str() {
            "panic" => panic!("the implementation failed"),
            "slow" => {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Err(ApiError::not_found("too late"))
            }
            _ => Err(ApiError::not_found("no such conversation")),
        }
    }

    async fn change_conversation_state(
        &self,
        _caller: Caller,
        _website_id: String,
        _session_id: String,
        _body: crisp_models::ChangeConversationStateBody,
    ) -> Result<(), ApiError> {
        Ok(())
    }

    async fn request_user_feedback_for_conversation(
        &self,
        _caller: Caller,
        _website_id: String,
        _session_id: String,
    ) -> Result<(), ApiError> {
        Ok(())
    }
}

const PLUGIN: (&str, &str) = ("plugin-identifier", "plugin-key");
const SCOPED: (&str, &str) = ("scoped-identifier", "scoped-key");

struct Server {
    origin: String,
    http: reqwest::Client,
}

impl Server {
    async fn start() -> Server {
        let scopes: Scopes = "website:conversation:sessions=read"
            .parse()
            .expect("scopes");
        let auth = StaticTokens::new()
            .with_token(Tier::Plugin, PLUGIN.0, PLUGIN.1)
            .with_scoped_token(Tier::Plugin, SCOPED.0, SCOPED.1, scopes);
        let app = RouterBuilder::new(auth)
            .website_conversation(Faulty)
            .body_limit(4 * 1024)
            .timeout(Duration::from_millis(300))
            .build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Server {
            origin,
            http: reqwest::Client::new(),
        }
    }

    fn client(&self, (identifier, key): (&str, &str)) -> Client<crisp_client::tier::Dynamic> {
        crate::support::client(
            Credentials::new(identifier, key, Tier::Plugin),
            &format!("{}/v1", self.origin),
        )
    }

    /// Sends a raw request with the plugin token and returns the status and the JSON body.
    async fn raw(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.origin))
            .basic_auth(PLUGIN.0, Some(PLUGIN.1))
            .header("X-Crisp-Tier", "plugin");
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn assert_envelope(body: &Value, reason: &str) {
    assert_eq!(body["error"], json!(true), "{body}");
    assert_eq!(body["reason"], json!(reason), "{body}");
    assert!(body["data"]["message"].is_string(), "{body}");
}

const STATE: &str = "/v1/website/w/conversation/s/state";

#[tokio::test]
async fn a_panic_is_a_500_envelope_and_the_server_keeps_serving() {
    let server = Server::start().await;
    let (status, body) = server
        .raw("GET", "/v1/website/w/conversation/panic", None)
        .await;
    assert_eq!(status, 500);
    assert_envelope(&body, "internal_error");
    assert!(
        !body.to_string().contains("the implementation failed"),
        "the panic message stays in the logs: {body}"
    );
    // The next request is served normally.
    let error = server
        .client(PLUGIN)
        .website_conversation()
        .get_conversation("w", "other")
        .await
        .unwrap_err();
    assert_eq!(
        error.reason().map(crisp_client::Reason::as_str),
        Some("not_found")
    );
}

#[tokio::test]
async fn a_slow_request_times_out_with_an_envelope() {
    let server = Server::start().await;
    let started = std::time::Instant::now();
    let (status, body) = server
        .raw("GET", "/v1/website/w/conversation/slow", None)
        .await;
    assert_eq!(status, 408);
    assert_envelope(&body, "request_timeout");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "answered at the limit, not when the handler finished"
    );
}

#[tokio::test]
async fn an_oversized_body_is_a_413_envelope() {
    let server = Server::start().await;
    let big = format!(
        r#"{{"state": "resolved", "padding": "{}"}}"#,
        "x".repeat(8 * 1024)
    );
    let (status, body) = server.raw("PATCH", STATE, Some(&big)).await;
    assert_eq!(status, 413);
    assert_envelope(&body, "payload_too_large");
    let (status, _) = server
        .raw("PATCH", STATE, Some(r#"{"state": "resolved"}"#))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn odd_methods_and_unknown_routes_get_envelopes() {
    let server = Server::start().await;
    for method in ["TRACE", "PUT", "OPTIONS"] {
        let (status, body) = server.raw(method, STATE, None).await;
        assert_eq!(status, 405, "{method}");
        assert_envelope(&body, "method_not_allowed");
    }
    let (status, body) = server.raw("TRACE", "/v1/no/such/route", None).await;
    assert_eq!(status, 404);
    assert_envelope(&body, "not_found");
}

#[tokio::test]
async fn bodies_of_the_wrong_kind_are_invalid_data() {
    let server = Server::start().await;
    for wrong in [
        r#"["resolved"]"#,
        r#""resolved""#,
        "42",
        "null",
        r#"{"state": 7}"#,
    ] {
        let (status, body) = server.raw("PATCH", STATE, Some(wrong)).await;
        assert_eq!(status, 400, "{wrong}");
        assert_envelope(&body, "invalid_data");
    }
    // A route that takes no body accepts an empty object, as the official clients send.
    let (status, body) = server
        .raw("POST", "/v1/website/w/conversation/s/feedback", Some("{}"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reason"], json!("resolved"));
}

#[tokio::test]
async fn plugin_scopes_are_enforced_before_the_implementation_runs() {
    let server = Server::start().await;
    let scoped = server.client(SCOPED);
    // Reading with a read grant reaches the implementation (its 404).
    let error = scoped
        .website_conversation()
        .get_conversation("w", "s")
        .await
        .unwrap_err();
    assert_eq!(
        error.reason().map(crisp_client::Reason::as_str),
        Some("not_found")
    );
    // Changing the state needs `website:conversation:states` at write level.
    let body =
        crisp_models::ChangeConversationStateBody::new(crisp_models::ConversationState::Resolved);
    let error = scoped
        .website_conversation()
        .change_conversation_state("w", "s", &body)
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(
        error.reason().map(crisp_client::Reason::as_str),
        Some("not_allowed")
    );
    assert!(
        error
            .message()
            .unwrap_or_default()
            .contains("website:conversation:states"),
        "{error}"
    );
    // The development token holds every scope.
    server
        .client(PLUGIN)
        .website_conversation()
        .change_conversation_state("w", "s", &body)
        .await
        .expect("allowed");
}
