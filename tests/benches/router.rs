//! Requests through the generated router against a hand-written axum router doing the same
//! work (authenticate, extract and validate, call the implementation, answer in the envelope),
//! in the same run: a typed GET and a POST with a JSON body. In process, no sockets, so the
//! figures compare the routers and not the network.
//!
//! Two baselines: the bare hand-written router, and the same with what the generated one also
//! does per request, from tower-http (a time limit, a panic guard, a span per request, a body
//! limit), stacked in one `ServiceBuilder` as a careful hand would.

use std::hint::black_box;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Request};
use axum::routing::{get, post};
use crisp_models::{Conversation, ConversationMessageNew, SendMessageInConversationData};
use crisp_runtime::Tier;
use crisp_runtime::server::{ApiError, Caller, StaticTokens, authenticate, respond};
use crisp_server::{RouterBuilder, WebsiteConversation};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

const CONVERSATION: &str = r#"{"session_id":"session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881","website_id":"8c842203-7ed8-4e29-a608-7cf78a7d2fcc","people_id":"c5ea0ca3-98e0-4a0a-8a3b-55ae6b1e2a4f","state":"pending","status":0,"is_verified":true,"is_blocked":false,"availability":"online","active":{"now":true,"last":1641206011000},"last_message":"Hello!","mentions":[],"participants":[],"created_at":1641206011000,"updated_at":1641206011000,"waiting_since":1641206011000,"meta":{"nickname":"John Doe","email":"john@acme-inc.com","segments":["customer"],"data":{"plan":"pro"}}}"#;
const MESSAGE: &str =
    r#"{"type":"text","from":"operator","origin":"chat","content":"Hello, how can I help?"}"#;
const AUTH: &str = "Basic aWRlbnRpZmllcjprZXk="; // identifier:key

/// The work both routers do per call: answer a fixed conversation, or acknowledge a message.
#[derive(Clone)]
struct Service {
    conversation: Arc<Conversation>,
}

impl WebsiteConversation for Service {
    async fn get_conversation(
        &self,
        _caller: Caller,
        _website_id: String,
        _session_id: String,
    ) -> Result<Conversation, ApiError> {
        Ok((*self.conversation).clone())
    }

    async fn send_message_in_conversation(
        &self,
        _caller: Caller,
        _website_id: String,
        _session_id: String,
        body: ConversationMessageNew,
    ) -> Result<SendMessageInConversationData, ApiError> {
        black_box(body);
        let mut sent = SendMessageInConversationData::default();
        sent.fingerprint = Some(163408457284310);
        Ok(sent)
    }
}

fn tokens() -> StaticTokens {
    StaticTokens::new().with_token(Tier::Plugin, "identifier", "key")
}

/// The hand-written baseline: the same routes, extractors and answers, written directly.
fn hand_written(service: Service) -> axum::Router {
    #[derive(Clone)]
    struct AppState {
        auth: Arc<StaticTokens>,
        service: Service,
    }
    async fn get_conversation(
        State(state): State<AppState>,
        Path((website_id, session_id)): Path<(String, String)>,
        headers: HeaderMap,
    ) -> axum::response::Response {
        let result = async {
            let caller = authenticate(&*state.auth, &headers).await?;
            state
                .service
                .get_conversation(caller, website_id, session_id)
                .await
        }
        .await;
        respond(result)
    }
    async fn send_message(
        State(state): State<AppState>,
        Path((website_id, session_id)): Path<(String, String)>,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> axum::response::Response {
        let result = async {
            let caller = authenticate(&*state.auth, &headers).await?;
            let message: ConversationMessageNew = serde_json::from_slice(&body)
                .map_err(|error| ApiError::invalid_data(error.to_string()))?;
            state
                .service
                .send_message_in_conversation(caller, website_id, session_id, message)
                .await
        }
        .await;
        respond(result)
    }
    axum::Router::new()
        .route(
            "/v1/website/{website_id}/conversation/{session_id}",
            get(get_conversation),
        )
        .route(
            "/v1/website/{website_id}/conversation/{session_id}/message",
            post(send_message),
        )
        .with_state(AppState {
            auth: Arc::new(tokens()),
            service,
        })
}

/// The hand-written router with tower-http's request time limit, panic guard, span per request
/// and body limit: what the generated router adds to the bare one.
fn hand_written_hardened(service: Service) -> axum::Router {
    use tower_http::catch_panic::CatchPanicLayer;
    use tower_http::timeout::TimeoutLayer;
    use tower_http::trace::TraceLayer;
    hand_written(service).layer(
        tower::ServiceBuilder::new()
            .layer(CatchPanicLayer::new())
            .layer(TraceLayer::new_for_http())
            .layer(TimeoutLayer::with_status_code(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                std::time::Duration::from_secs(30),
            ))
            .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024)),
    )
}

fn get_request() -> Request<Body> {
    Request::get("/v1/website/8c842203-7ed8-4e29-a608-7cf78a7d2fcc/conversation/session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881")
        .header("authorization", AUTH)
        .header("x-crisp-tier", "plugin")
        .body(Body::empty())
        .expect("a valid request")
}

fn post_request() -> Request<Body> {
    Request::post("/v1/website/8c842203-7ed8-4e29-a608-7cf78a7d2fcc/conversation/session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881/message")
        .header("authorization", AUTH)
        .header("x-crisp-tier", "plugin")
        .header("content-type", "application/json")
        .body(Body::from(MESSAGE))
        .expect("a valid request")
}

fn bench(c: &mut Criterion) {
    let conversation: Conversation =
        serde_json::from_str(CONVERSATION).expect("the conversation decodes");
    let service = Service {
        conversation: Arc::new(conversation),
    };
    let generated = RouterBuilder::new(tokens())
        .website_conversation(service.clone())
        .build();
    let baseline = hand_written(service.clone());
    let hardened = hand_written_hardened(service);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // Both routers must give the same answers before they are timed.
    for request in [get_request, post_request] {
        let a = runtime
            .block_on(generated.clone().oneshot(request()))
            .expect("generated answers");
        assert_eq!(a.status(), 200);
        for baseline in [&baseline, &hardened] {
            let b = runtime
                .block_on(baseline.clone().oneshot(request()))
                .expect("baseline answers");
            assert_eq!(a.status(), b.status());
        }
    }
    let mut group = c.benchmark_group("router");
    for (name, request) in [
        ("typed GET", get_request as fn() -> Request<Body>),
        ("POST with a body", post_request),
    ] {
        group.bench_function(format!("{name}: hand-written axum"), |b| {
            b.iter(|| {
                runtime
                    .block_on(baseline.clone().oneshot(request()))
                    .map(|r| r.status())
            })
        });
        group.bench_function(
            format!("{name}: hand-written axum + tower-http layers"),
            |b| {
                b.iter(|| {
                    runtime
                        .block_on(hardened.clone().oneshot(request()))
                        .map(|r| r.status())
                })
            },
        );
        group.bench_function(format!("{name}: generated router"), |b| {
            b.iter(|| {
                runtime
                    .block_on(generated.clone().oneshot(request()))
                    .map(|r| r.status())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
