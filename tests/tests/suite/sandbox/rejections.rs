//! Bad requests get Crisp's error envelopes with the right status and reason, and never a
//! server error, in both modes: what the router refuses is refused the same way whether the
//! sandbox keeps state or answers examples. The requests are sent with plain `reqwest`, since
//! the generated client would not send most of them.

use crisp_sandbox::Mode;
use crisp_sandbox::state::SEED_WEBSITE_ID;
use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{BODY_LIMIT, PLUGIN, Running, SCOPED, config};

/// The modes bad input is sent to.
const MODES: [Mode; 2] = [Mode::Stateful, Mode::Examples];

/// How a raw request authenticates: the tier, the identifier and the key, or nothing.
type Auth = Option<(&'static str, &'static str, &'static str)>;

/// The plugin token holding every scope.
const AS_PLUGIN: Auth = Some(("plugin", PLUGIN.0, PLUGIN.1));
/// The plugin token holding only `website:people:profiles`.
const AS_SCOPED: Auth = Some(("plugin", SCOPED.0, SCOPED.1));

/// A sandbox in one mode, with a conversation to address (in examples mode any id will do).
struct Target {
    sandbox: Running,
    http: reqwest::Client,
    session: String,
}

impl Target {
    async fn start(mode: Mode) -> Target {
        let sandbox = Running::start(config(mode)).await;
        let session = sandbox.new_conversation().await;
        Target {
            sandbox,
            http: reqwest::Client::new(),
            session,
        }
    }

    /// The URL of `path` under the REST API's base, e.g. `/no/such/route`.
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base())
    }

    /// The URL of `path` under the seeded website, e.g. `conversations/1`.
    fn website_url(&self, path: &str) -> String {
        self.url(&format!("/website/{SEED_WEBSITE_ID}/{path}"))
    }

    /// The URL of `path` under the conversation, e.g. `message`.
    fn conversation_url(&self, path: &str) -> String {
        self.website_url(&format!("conversation/{}/{path}", self.session))
    }

    /// Sends one raw request and returns the answer's status and JSON body.
    async fn send(
        &self,
        method: Method,
        url: &str,
        auth: Auth,
        body: Option<Vec<u8>>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, url);
        if let Some((tier, identifier, key)) = auth {
            request = request
                .basic_auth(identifier, Some(key))
                .header("X-Crisp-Tier", tier);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("the body");
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|error| {
            panic!("a JSON body ({error}): {}", String::from_utf8_lossy(&bytes))
        });
        (status, body)
    }

    async fn stop(self) {
        self.sandbox.stop().await;
    }
}

/// Asserts that an answer is Crisp's error envelope with `status` and `reason`, and a message.
fn assert_envelope(case: &str, (status, body): &(u16, Value), expected_status: u16, reason: &str) {
    assert!(*status < 500, "{case}: a server error: {status} {body}");
    assert_eq!(*status, expected_status, "{case}: {body}");
    assert_eq!(body["error"], json!(true), "{case}: {body}");
    assert_eq!(body["reason"], json!(reason), "{case}: {body}");
    let message = body["data"]["message"].as_str().unwrap_or("");
    assert!(!message.is_empty(), "{case}: a message: {body}");
}

/// Asserts that the envelope's message names `word`, when the case expects one.
fn assert_mentions(case: &str, (_, body): &(u16, Value), word: Option<&str>) {
    if let Some(word) = word {
        let message = body["data"]["message"].as_str().unwrap_or("");
        assert!(message.contains(word), "{case}: `{word}` missing: {body}");
    }
}

#[tokio::test]
async fn undecodable_input_is_400_invalid_data() {
    for mode in MODES {
        let target = Target::start(mode).await;
        let message = target.conversation_url("message");
        let state = target.conversation_url("state");
        let list = target.website_url("conversations/1");
        let number_for_text =
            json!({"type": "text", "from": "user", "origin": "chat", "content": 42});
        // What is wrong, the request, and a word the message must name.
        let cases = [
            (
                "malformed JSON",
                Method::POST,
                message.clone(),
                Some(b"{\"type\": \"text\",".to_vec()),
                None,
            ),
            (
                "an array for an object",
                Method::POST,
                message.clone(),
                Some(b"[1, 2]".to_vec()),
                None,
            ),
            (
                "a number for the text content",
                Method::POST,
                message,
                Some(number_for_text.to_string().into_bytes()),
                None,
            ),
            // The models' enums are open (a value Crisp adds later must decode), so the
            // closest to a value outside the enum is a value of the wrong kind.
            (
                "a number for the state enum",
                Method::PATCH,
                state.clone(),
                Some(br#"{"state": 3}"#.to_vec()),
                Some("state"),
            ),
            (
                "a missing required field",
                Method::PATCH,
                state.clone(),
                Some(b"{}".to_vec()),
                Some("state"),
            ),
            ("a missing body", Method::PATCH, state, None, None),
            (
                "a word for a number in the query",
                Method::GET,
                format!("{list}?per_page=many"),
                None,
                None,
            ),
            (
                "a word for the page number",
                Method::GET,
                target.website_url("conversations/first"),
                None,
                None,
            ),
        ];
        for (name, method, url, body, mentions) in cases {
            let case = format!("{mode} mode, {name}");
            let answer = target.send(method, &url, AS_PLUGIN, body).await;
            assert_envelope(&case, &answer, 400, "invalid_data");
            assert_mentions(&case, &answer, mentions);
        }
        target.stop().await;
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_payload_too_large() {
    for mode in MODES {
        let target = Target::start(mode).await;
        let huge = "x".repeat(BODY_LIMIT * 2);
        let message = json!({"type": "text", "from": "user", "origin": "chat", "content": huge});
        let compose = json!({"type": "start", "from": "operator", "excerpt": huge});
        // What is sent, and where.
        let cases = [
            (
                "an oversized message",
                Method::POST,
                target.conversation_url("message"),
                message,
            ),
            (
                "an oversized compose (an example operation)",
                Method::PATCH,
                target.conversation_url("compose"),
                compose,
            ),
        ];
        for (name, method, url, body) in cases {
            let case = format!("{mode} mode, {name}");
            let body = Some(body.to_string().into_bytes());
            let answer = target.send(method, &url, AS_PLUGIN, body).await;
            assert_envelope(&case, &answer, 413, "payload_too_large");
        }
        target.stop().await;
    }
}

#[tokio::test]
async fn missing_or_wrong_credentials_are_401_invalid_session() {
    for mode in MODES {
        let target = Target::start(mode).await;
        let list = target.website_url("conversations/1");
        // What is wrong, and the credentials sent.
        let cases: [(&str, Auth); 4] = [
            ("no credentials", None),
            ("a wrong key", Some(("plugin", PLUGIN.0, "wrong-key"))),
            (
                "the plugin token sent as a user token",
                Some(("user", PLUGIN.0, PLUGIN.1)),
            ),
            ("an unknown tier", Some(("admin", PLUGIN.0, PLUGIN.1))),
        ];
        for (name, auth) in cases {
            let case = format!("{mode} mode, {name}");
            let answer = target.send(Method::GET, &list, auth, None).await;
            assert_envelope(&case, &answer, 401, "invalid_session");
        }
        target.stop().await;
    }
}

#[tokio::test]
async fn a_call_outside_the_tokens_tier_or_scopes_is_403_not_allowed() {
    for mode in MODES {
        let target = Target::start(mode).await;
        // What is wrong, the URL, the credentials, and a word the message must name.
        let cases = [
            (
                "a user-only operation with a plugin token",
                target.website_url("campaigns/list/1"),
                AS_PLUGIN,
                None,
            ),
            (
                "a plugin token without website:conversation:sessions",
                target.website_url("conversations/1"),
                AS_SCOPED,
                Some("website:conversation:sessions"),
            ),
        ];
        for (name, url, auth, mentions) in cases {
            let case = format!("{mode} mode, {name}");
            let answer = target.send(Method::GET, &url, auth, None).await;
            assert_envelope(&case, &answer, 403, "not_allowed");
            assert_mentions(&case, &answer, mentions);
        }
        target.stop().await;
    }
}

#[tokio::test]
async fn a_scoped_token_may_call_within_its_scope() {
    for mode in MODES {
        let target = Target::start(mode).await;
        let profiles = target.website_url("people/profiles/1");
        let (status, body) = target.send(Method::GET, &profiles, AS_SCOPED, None).await;
        assert_eq!(
            status, 200,
            "{mode} mode, a scoped call within the scope: {body}"
        );
        assert_eq!(body["error"], json!(false), "{mode} mode: {body}");
        assert!(body["data"].is_array(), "{mode} mode, a list: {body}");
        target.stop().await;
    }
}

#[tokio::test]
async fn an_unknown_route_is_404_and_a_wrong_method_405() {
    for mode in MODES {
        let target = Target::start(mode).await;
        // What is wrong, the request, and the answer it gets.
        let cases = [
            (
                "an unknown route",
                Method::GET,
                target.url("/no/such/route"),
                404,
                "not_found",
            ),
            (
                "a method the route does not have",
                Method::PUT,
                target.website_url("conversations/1"),
                405,
                "method_not_allowed",
            ),
        ];
        for (name, method, url, status, reason) in cases {
            let case = format!("{mode} mode, {name}");
            let answer = target.send(method, &url, AS_PLUGIN, None).await;
            assert_envelope(&case, &answer, status, reason);
        }
        target.stop().await;
    }
}

/// Only the stateful mode knows which websites and conversations exist.
#[tokio::test]
async fn an_unknown_website_or_conversation_is_404_in_stateful_mode() {
    let target = Target::start(Mode::Stateful).await;
    // What is unknown, and the URL naming it.
    let cases = [
        (
            "an unknown website",
            target.url("/website/no-such-website/conversations/1"),
        ),
        (
            "an unknown conversation",
            target.website_url("conversation/session_nope"),
        ),
    ];
    for (name, url) in cases {
        let case = format!("stateful mode, {name}");
        let answer = target.send(Method::GET, &url, AS_PLUGIN, None).await;
        assert_envelope(&case, &answer, 404, "not_found");
    }
    target.stop().await;
}
