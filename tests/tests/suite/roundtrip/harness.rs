//! The round-trip harness: a router served by a seeded [`Fake`] on a free port, a client of
//! it, raw requests for when the wire itself is under test, and the checks of error answers.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Request, State as AxumState};
use axum::middleware::Next;
use axum::response::Response;
use crisp_client::{Client, Credentials, Error, Tier};
use crisp_server::StaticTokens;
use reqwest::Method;
use serde_json::{Value, json};

use super::fake::{Call, Fake, RawRequest, Shared, State, lock};
use super::seed::seeded_state;
use super::{IDENTIFIER, KEY, USER_IDENTIFIER, USER_KEY};

/// A running server and a client of it.
pub(super) struct Harness {
    /// `http://127.0.0.1:<port>`, without `/v1`.
    origin: String,
    pub(super) client: Client<crisp_client::tier::Dynamic>,
    state: Shared,
    http: reqwest::Client,
}

/// How a raw request authenticates.
#[derive(Clone, Copy)]
pub(super) enum Auth {
    /// The accepted token and the `plugin` tier.
    Valid,
    /// No `Authorization` and no `X-Crisp-Tier`.
    Nothing,
    /// The accepted token but no `X-Crisp-Tier`.
    NoTier,
}

/// A raw answer: status, headers and the body as JSON (`Null` when empty).
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) headers: reqwest::header::HeaderMap,
    pub(super) body: Value,
}

/// A plain HTTP client, for requests the generated client would not send.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client")
}

/// The tokens the router accepts: the plugin token and a user token.
fn tokens() -> StaticTokens {
    StaticTokens::new()
        .with_token(Tier::Plugin, IDENTIFIER, KEY)
        .with_token(Tier::User, USER_IDENTIFIER, USER_KEY)
}

/// Records the request line and the body, then hands the request on unchanged.
async fn record_request(
    AxumState(state): AxumState<Shared>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .expect("request body");
    lock(&state).requests.push(RawRequest {
        method: parts.method.to_string(),
        uri: parts
            .uri
            .path_and_query()
            .map(ToString::to_string)
            .unwrap_or_default(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// Starts a router whose two areas are served by the fake (the others answer 501).
pub(super) async fn start() -> Harness {
    start_with(|auth, fake| {
        crisp_server::RouterBuilder::new(auth)
            .website_base(fake.clone())
            .website_conversation(fake)
            .build()
    })
    .await
}

/// Starts the router `build` makes from the accepted tokens and a seeded fake, on a free port.
pub(super) async fn start_with(build: impl FnOnce(StaticTokens, Fake) -> axum::Router) -> Harness {
    let state: Shared = Arc::new(Mutex::new(seeded_state()));
    let router = build(
        tokens(),
        Fake {
            state: state.clone(),
        },
    )
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        record_request,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("local address"));
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    let http = http_client();
    let client = crate::support::client(
        Credentials::new(IDENTIFIER, KEY, Tier::Plugin),
        &format!("{origin}/v1"),
    );
    Harness {
        origin,
        client,
        state,
        http,
    }
}

impl Harness {
    /// The `websiteConversation` area of the plugin client.
    pub(super) fn conversations(
        &self,
    ) -> crisp_client::WebsiteConversation<'_, crisp_client::tier::Dynamic> {
        self.client.website_conversation()
    }

    /// A client of the same server with other credentials.
    pub(super) fn client_as(
        &self,
        identifier: &str,
        key: &str,
        tier: Tier,
    ) -> Client<crisp_client::tier::Dynamic> {
        crate::support::client(
            Credentials::new(identifier, key, tier),
            &format!("{}/v1", self.origin),
        )
    }

    /// The fake's state, locked.
    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Every call the implementation received, in order.
    pub(super) fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// The last call the implementation received.
    pub(super) fn last_call(&self) -> Call {
        self.state()
            .calls
            .last()
            .cloned()
            .expect("the server was called")
    }

    /// The last request that reached the router, as it arrived.
    pub(super) fn last_request(&self) -> RawRequest {
        self.state()
            .requests
            .last()
            .cloned()
            .expect("a request reached the server")
    }

    /// Sends a request without the generated client.
    pub(super) async fn raw(
        &self,
        method: Method,
        path: &str,
        auth: Auth,
        body: Option<&str>,
    ) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.origin));
        match auth {
            Auth::Valid => {
                request = request
                    .basic_auth(IDENTIFIER, Some(KEY))
                    .header("X-Crisp-Tier", "plugin");
            }
            Auth::NoTier => request = request.basic_auth(IDENTIFIER, Some(KEY)),
            Auth::Nothing => {}
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.expect("raw request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("raw body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                panic!("not JSON ({error}): {}", String::from_utf8_lossy(&bytes))
            })
        };
        Answer {
            status,
            headers,
            body,
        }
    }
}

/// Checks a Crisp error envelope and returns its message.
#[track_caller]
pub(super) fn error_message(answer: &Answer, status: u16, reason: &str) -> String {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["error"], json!(true), "{}", answer.body);
    assert_eq!(answer.body["reason"], json!(reason), "{}", answer.body);
    assert_eq!(
        answer
            .headers
            .get("content-type")
            .and_then(|value| value.to_str().ok()),
        Some("application/json")
    );
    answer.body["data"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message in {}", answer.body))
        .to_owned()
}

/// Checks a client error: an API error with this status and reason.
#[track_caller]
pub(super) fn assert_api_error(error: &Error, status: u16, reason: &str) {
    assert!(matches!(error, Error::Api { .. }), "{error:?}");
    assert_eq!(
        error.status().map(|status| status.as_u16()),
        Some(status),
        "{error}"
    );
    assert_eq!(
        error.reason().map(crisp_client::Reason::as_str),
        Some(reason),
        "{error}"
    );
}
