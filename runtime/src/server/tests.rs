//! Tests of the server helpers, partly through a tiny axum router.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{DefaultBodyLimit, RawPathParams};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, Uri};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower::ServiceExt as _;

use super::*;

/// Reads a response's status and JSON body (`Value::Null` for an empty body).
async fn read(response: Response) -> (StatusCode, Option<String>, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned());
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap()
    };
    (status, content_type, json)
}

async fn call(router: Router, request: Request<Body>) -> (StatusCode, Option<String>, Value) {
    read(router.oneshot(request).await.unwrap()).await
}

fn get_request(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn error_envelope_shape() {
    let (status, content_type, body) =
        read(ApiError::not_found("no such conversation").into_response()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(
        body,
        json!({"error": true, "reason": "not_found", "data": {"message": "no such conversation"}})
    );
}

#[test]
fn error_constructors() {
    let cases = [
        (ApiError::invalid_data("m"), 400, "invalid_data"),
        (ApiError::invalid_session("m"), 401, "invalid_session"),
        (ApiError::not_allowed("m"), 403, "not_allowed"),
        (ApiError::not_found("m"), 404, "not_found"),
        (ApiError::method_not_allowed(), 405, "method_not_allowed"),
        (ApiError::conflict("m"), 409, "conflict"),
        (ApiError::payload_too_large("m"), 413, "payload_too_large"),
        (ApiError::rate_limited("m"), 429, "rate_limited"),
        (ApiError::internal("m"), 500, "internal_error"),
        (
            ApiError::not_implemented("getThing"),
            501,
            "not_implemented",
        ),
        (
            ApiError::new(StatusCode::IM_A_TEAPOT, "teapot", "m"),
            418,
            "teapot",
        ),
    ];
    for (error, status, reason) in cases {
        assert_eq!(error.status().as_u16(), status);
        assert_eq!(error.reason(), reason);
    }
    let error = ApiError::not_implemented("getThing");
    assert_eq!(
        error.message(),
        "operation `getThing` is not implemented by this server"
    );
    assert_eq!(
        error.to_string(),
        "not_implemented (501): operation `getThing` is not implemented by this server"
    );
}

#[derive(Serialize)]
struct Thing {
    id: u32,
}

/// A value whose serialization always fails.
struct Unserializable;

impl Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("nope"))
    }
}

#[tokio::test]
async fn success_envelope_shapes() {
    let (status, content_type, body) = read(respond(Ok(Thing { id: 7 }))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(
        body,
        json!({"error": false, "reason": "resolved", "data": {"id": 7}})
    );

    let (status, _, body) = read(respond::<Thing>(Err(ApiError::conflict("taken")))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["reason"], "conflict");

    let (status, _, body) = read(respond(Ok(Unserializable))).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["reason"], "internal_error");

    let (status, _, body) = read(respond_empty(Ok(()))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"error": false, "reason": "resolved"}));

    let (status, _, body) = read(respond_head(Ok(()))).await;
    assert_eq!((status, body), (StatusCode::OK, Value::Null));
    let (status, _, body) = read(respond_head(Err(ApiError::not_found("x")))).await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, Value::Null));
}

async fn path_handler(raw: Result<RawPathParams, RawPathParamsRejection>) -> Response {
    let result = PathParams::from_raw(raw).and_then(|params| {
        Ok(json!({
            "website_id": params.string("website_id")?,
            "page_number": params.parse::<u32>("page_number")?,
        }))
    });
    respond(result)
}

#[tokio::test]
async fn path_params_are_decoded_and_parsed() {
    let router = || {
        Router::new().route(
            "/website/{website_id}/page/{page_number}",
            get(path_handler),
        )
    };
    let (status, _, body) = call(router(), get_request("/website/john%40doe%20x+y/page/3")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["data"],
        json!({"website_id": "john@doe x+y", "page_number": 3})
    );

    let (status, _, body) = call(router(), get_request("/website/a/page/three")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["reason"], "invalid_data");
    assert_eq!(
        body["data"]["message"],
        "path parameter `page_number` must be a valid u32, got `three`"
    );

    let (status, _, body) = call(router(), get_request("/website/%FF/page/1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["reason"], "invalid_data");
}

#[tokio::test]
async fn missing_path_params_are_server_bugs() {
    let router = Router::new().route("/static", get(path_handler));
    let (status, _, body) = call(router, get_request("/static")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["reason"], "internal_error");
}

#[test]
fn query_strings_and_bools() {
    let query = QueryParams::parse(Some(
        "search=a+b%26c&unread=1&resolved=FALSE&page=2&page=3&empty=",
    ))
    .unwrap();
    assert_eq!(query.required_string("search").unwrap(), "a b&c");
    assert_eq!(query.optional_string("missing").unwrap(), None);
    assert_eq!(query.optional_string("empty").unwrap().as_deref(), Some(""));
    assert!(query.required_bool("unread").unwrap());
    assert_eq!(query.optional_bool("resolved").unwrap(), Some(false));
    assert_eq!(query.optional_bool("missing").unwrap(), None);
    // The last occurrence of a repeated parameter wins.
    assert_eq!(query.required_parse::<u32>("page").unwrap(), 3);
    assert_eq!(query.optional_parse::<u32>("missing").unwrap(), None);

    let error = query.required_string("domain").unwrap_err();
    assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error.message(), "missing query parameter `domain`");
    let error = query.optional_bool("search").unwrap_err();
    assert_eq!(
        error.message(),
        "query parameter `search` must be 1, 0, true or false, got `a b&c`"
    );
    let error = query.optional_parse::<u8>("empty").unwrap_err();
    assert_eq!(
        error.message(),
        "query parameter `empty` must be a valid u8, got ``"
    );
    let error = query.required_parse::<crate::Tier>("search").unwrap_err();
    assert_eq!(
        error.message(),
        "query parameter `search` must be a valid Tier, got `a b&c`"
    );

    assert_eq!(QueryParams::parse(None).unwrap(), QueryParams::default());
}

#[derive(Debug, PartialEq, Deserialize)]
struct Filter {
    kind: String,
    ids: Vec<u32>,
}

#[test]
fn json_query_values() {
    let query = QueryParams::parse(Some(
        "filter=%7B%22kind%22%3A%22a%22%2C%22ids%22%3A%5B1%2C2%5D%7D&bad=%7B%22kind%22%3A%22a%22%2C%22ids%22%3A%5B1%2C%22x%22%5D%7D&broken=%7B",
    ))
    .unwrap();
    assert_eq!(
        query.required_json::<Filter>("filter").unwrap(),
        Filter {
            kind: "a".to_owned(),
            ids: vec![1, 2]
        }
    );
    assert_eq!(query.optional_json::<Filter>("missing").unwrap(), None);
    let error = query.optional_json::<Filter>("bad").unwrap_err();
    assert!(
        error
            .message()
            .starts_with("query parameter `bad` is not valid JSON at `ids[1]`: invalid type"),
        "{error}"
    );
    let error = query.required_json::<Filter>("broken").unwrap_err();
    assert!(
        error
            .message()
            .starts_with("query parameter `broken` is not valid JSON: "),
        "{error}"
    );
    let error = query.required_json::<Filter>("missing").unwrap_err();
    assert_eq!(error.message(), "missing query parameter `missing`");
}

#[cfg(feature = "client")]
#[test]
fn client_encoding_round_trips_through_the_server() {
    let mut pairs = crate::client::QueryPairs::new();
    pairs.push_str("search", "a b+c&d=é");
    pairs.push_bool("unread", false);
    pairs.push_json("filter", &json!({"kind": "a", "ids": [3]}));
    let query = QueryParams::parse(Some(&pairs.to_query_string())).unwrap();
    assert_eq!(query.required_string("search").unwrap(), "a b+c&d=é");
    assert!(!query.required_bool("unread").unwrap());
    assert_eq!(query.required_json::<Filter>("filter").unwrap().ids, [3]);
}

/// A `oneOf` of a string and a list, as a search query may be.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum TextOrList {
    List(Vec<u32>),
    Text(String),
}

#[cfg(feature = "client")]
#[test]
fn plain_strings_travel_unquoted_and_structures_as_json() {
    let mut pairs = crate::client::QueryPairs::new();
    pairs.push_json("text", &TextOrList::Text("hello [world]".to_owned()));
    pairs.push_json("list", &TextOrList::List(vec![1, 2]));
    let values: Vec<(&str, &str)> = pairs.iter().collect();
    assert_eq!(values, [("text", "hello [world]"), ("list", "[1,2]")]);
    let query = QueryParams::parse(Some(&pairs.to_query_string())).unwrap();
    assert_eq!(
        query.required_json::<TextOrList>("text").unwrap(),
        TextOrList::Text("hello [world]".to_owned())
    );
    assert_eq!(
        query.required_json::<TextOrList>("list").unwrap(),
        TextOrList::List(vec![1, 2])
    );
}

#[test]
fn header_strings() {
    let mut headers = HeaderMap::new();
    headers.insert("x-name", HeaderValue::from_static("value"));
    headers.insert("x-utf8", HeaderValue::from_bytes("é".as_bytes()).unwrap());
    headers.insert("x-bad", HeaderValue::from_bytes(b"\xff").unwrap());
    assert_eq!(
        header_string(&headers, "x-name").unwrap().as_deref(),
        Some("value")
    );
    assert_eq!(
        header_string(&headers, "X-Name").unwrap().as_deref(),
        Some("value")
    );
    assert_eq!(
        header_string(&headers, "x-utf8").unwrap().as_deref(),
        Some("é")
    );
    assert_eq!(header_string(&headers, "x-missing").unwrap(), None);
    let error = header_string(&headers, "x-bad").unwrap_err();
    assert_eq!(error.message(), "header `x-bad` is not valid UTF-8");
}

#[derive(Debug, Deserialize)]
struct Message {
    #[serde(rename = "type")]
    kind: String,
    content: Content,
}

#[derive(Debug, Deserialize)]
struct Content {
    url: String,
}

fn ok_body(text: &'static str) -> Result<Bytes, BytesRejection> {
    Ok(Bytes::from_static(text.as_bytes()))
}

#[test]
fn json_bodies() {
    let message: Message = decode_json_body(
        ok_body(r#"{"type":"file","content":{"url":"u"}}"#),
        JsonKind::Object,
    )
    .unwrap();
    assert_eq!(
        (message.kind.as_str(), message.content.url.as_str()),
        ("file", "u")
    );

    let error = decode_json_body::<Message>(
        ok_body(r#"{"type":"file","content":{"url":1}}"#),
        JsonKind::Object,
    )
    .unwrap_err();
    assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error.reason(), "invalid_data");
    assert!(
        error.message().starts_with(
            "invalid request body at `content.url`: invalid type: integer `1`, expected a string"
        ),
        "{error}"
    );

    let error =
        decode_json_body::<Message>(ok_body(r#"{"content":{"url":"u"}}"#), JsonKind::Object)
            .unwrap_err();
    assert!(
        error
            .message()
            .starts_with("invalid request body: missing field `type`"),
        "{error}"
    );

    let error = decode_json_body::<Message>(ok_body(""), JsonKind::Object).unwrap_err();
    assert_eq!(error.message(), "missing request body");
    let error = decode_json_body::<Message>(ok_body("{"), JsonKind::Object).unwrap_err();
    assert!(
        error.message().starts_with("invalid request body: "),
        "{error}"
    );

    assert!(
        decode_optional_json_body::<Message>(ok_body(" \n"), JsonKind::Object)
            .unwrap()
            .is_none()
    );
    assert!(
        decode_optional_json_body::<Message>(
            ok_body(r#"{"type":"t","content":{"url":"u"}}"#),
            JsonKind::Object
        )
        .unwrap()
        .is_some()
    );
    assert!(decode_optional_json_body::<Message>(ok_body("[]"), JsonKind::Object).is_err());
    // A struct is not read from an array of its fields.
    let error = decode_json_body::<Message>(ok_body(r#"["file", {"url": "u"}]"#), JsonKind::Object)
        .unwrap_err();
    assert_eq!(
        error.message(),
        "invalid request body: expected a JSON object"
    );
    assert!(decode_json_body::<Vec<u8>>(ok_body("{}"), JsonKind::Array).is_err());
}

async fn body_handler(body: Result<Bytes, BytesRejection>) -> Response {
    respond(decode_json_body::<Value>(body, JsonKind::Any))
}

#[tokio::test]
async fn body_limit_gives_payload_too_large() {
    let router = || {
        Router::new()
            .route("/body", post(body_handler))
            .layer(DefaultBodyLimit::max(16))
    };
    let request = |body: &'static str| Request::post("/body").body(Body::from(body)).unwrap();

    let (status, _, body) = call(router(), request(r#"{"a":1}"#)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!({"a": 1}));

    let (status, content_type, body) = call(router(), request(r#"{"a":"0123456789abcdef"}"#)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(body["error"], true);
    assert_eq!(body["reason"], "payload_too_large");
}

#[tokio::test]
async fn fallbacks_answer_envelopes() {
    let router = || {
        Router::new()
            .route("/exists", get(|| async { respond_empty(Ok(())) }))
            .fallback(not_found_fallback)
            .method_not_allowed_fallback(method_not_allowed_fallback)
    };
    let (status, _, body) = call(router(), get_request("/nowhere?key=s3cr3t")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"error": true, "reason": "not_found", "data": {"message": "no route for GET /nowhere"}})
    );

    let request = Request::delete(Uri::from_static("/exists"))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = call(router(), request).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["reason"], "method_not_allowed");
    assert_eq!(
        body["data"]["message"],
        "method DELETE is not allowed for /exists"
    );
}

#[test]
fn expected_type_names_are_short() {
    assert_eq!(super::params::expected::<u32>(), "a valid u32");
    assert_eq!(super::params::expected::<crate::Tier>(), "a valid Tier");
    assert_eq!(
        super::params::expected::<Option<Vec<crate::Tier>>>(),
        "a valid Option<Vec<Tier>>"
    );
}

/// Two areas' routes for one router: a path both serve (with different methods), and one each.
fn two_areas() -> Routes {
    vec![
        ("/v1/thing/{id}", get(|| async { "got" })),
        ("/v1/other", get(|| async { "other" })),
        ("/v1/thing/{id}", post(|| async { "posted" })),
    ]
}

#[tokio::test]
async fn assembled_areas_share_a_path_by_method() {
    let router = assemble(two_areas(), Limits::default());
    for (method, uri, answer) in [
        ("GET", "/v1/thing/1", "got"),
        ("POST", "/v1/thing/1", "posted"),
        ("GET", "/v1/other", "other"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{method} {uri}");
        let body = to_bytes(response.into_body(), 1 << 10).await.unwrap();
        assert_eq!(body, answer.as_bytes(), "{method} {uri}");
    }
}

#[tokio::test]
async fn an_assembled_router_answers_unknown_routes_and_methods_in_the_envelope() {
    let router = assemble(two_areas(), Limits::default());
    let (status, _, body) = call(router.clone(), get_request("/v1/nothing")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["reason"], "not_found");
    assert_eq!(body["error"], true);
    let delete = Request::delete("/v1/other").body(Body::empty()).unwrap();
    let (status, _, body) = call(router, delete).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["reason"], "method_not_allowed");
}

#[tokio::test]
async fn an_assembled_router_applies_its_limits() {
    let limits = Limits {
        body_limit: 8,
        ..Limits::default()
    };
    let routes: Routes = vec![("/v1/echo", post(body_handler))];
    let request = Request::post("/v1/echo")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"content": "longer than eight bytes"}"#))
        .unwrap();
    let (status, _, body) = call(assemble(routes, limits), request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["reason"], "payload_too_large");
}

/// A `tracing` writer into a shared buffer, to read what a subscriber printed.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn each_request_runs_in_a_span_with_its_method_route_operation_and_status() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let router = harden(
        Router::new().route(
            "/things/{id}",
            get(|| async {
                record_operation("getThing");
                ApiError::not_found("no such thing").into_response()
            }),
        ),
        Limits::default(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let (status, _, _) = {
        let _default = crate::test_tracing::scoped(subscriber);
        runtime.block_on(call(router, get_request("/things/42?key=secret")))
    };
    assert_eq!(status, StatusCode::NOT_FOUND);
    let printed = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The "answered" event is printed inside the span, with the span's fields.
    let line = printed
        .lines()
        .find(|line| line.contains("answered"))
        .unwrap_or_else(|| panic!("no `answered` event in {printed:?}"));
    for field in [
        "crisp.request{",
        "method=GET",
        "route=/things/{id}",
        "operation=\"getThing\"",
        "status=404",
        "elapsed_ms=",
    ] {
        assert!(line.contains(field), "{field} is missing from {line:?}");
    }
    assert!(!printed.contains("secret"), "the query leaked: {printed:?}");
}

#[tokio::test]
async fn a_time_limit_too_far_for_an_instant_is_no_limit() {
    let router = harden(
        Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                respond(Ok("done"))
            }),
        ),
        Limits {
            timeout: std::time::Duration::MAX,
            ..Limits::default()
        },
    );
    let (status, _, body) = call(router, get_request("/slow")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], "done");
}
