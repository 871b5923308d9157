//! How failures reach the caller: the router's refusals (credentials, routes, undecodable input,
//! operations nobody implements) as Crisp error envelopes, the implementation's errors as typed
//! client errors, and the key in none of them.

use crisp_client::Tier;
use crisp_models::ConversationState;
use crisp_server::RouterBuilder;
use reqwest::Method;

use super::fake::Call;
use super::harness::{Auth, assert_api_error, error_message, start, start_with};
use super::{DOMAIN, IDENTIFIER, KEY, WEBSITE};

#[tokio::test]
async fn get_unknown_conversation_is_a_typed_404() {
    let harness = start().await;
    let found = harness
        .conversations()
        .get_conversation(WEBSITE, "session_alpha")
        .await
        .unwrap();
    assert_eq!(found.session_id, "session_alpha");
    assert_eq!(
        found.meta.and_then(|meta| meta.nickname).as_deref(),
        Some("Ada")
    );

    let error = harness
        .conversations()
        .get_conversation(WEBSITE, "session_nope")
        .await
        .unwrap_err();
    assert_api_error(&error, 404, "not_found");
    assert_eq!(
        error.message(),
        Some("conversation `session_nope` does not exist")
    );
    assert_eq!(error.operation(), Some("getConversation"));
    assert!(error.is_not_found());
    assert_eq!(
        error.to_string(),
        "getConversation: not_found (404): conversation `session_nope` does not exist"
    );
    assert_eq!(
        harness.last_call(),
        Call::GetConversation {
            session_id: "session_nope".to_owned()
        }
    );
}

#[tokio::test]
async fn operation_left_to_its_default_answers_501() {
    let harness = start().await;
    let error = harness
        .conversations()
        .get_block_status_for_conversation(WEBSITE, "session_alpha")
        .await
        .unwrap_err();
    assert_api_error(&error, 501, "not_implemented");
    assert_eq!(error.operation(), Some("getBlockStatusForConversation"));
    assert!(
        error
            .message()
            .is_some_and(|message| message.contains("getBlockStatusForConversation")),
        "{error}"
    );
    assert!(harness.calls().is_empty());
}

#[tokio::test]
async fn area_left_out_of_the_builder_answers_501() {
    let harness =
        start_with(|auth, fake| RouterBuilder::new(auth).website_conversation(fake).build()).await;

    let error = harness
        .client
        .website_base()
        .get_website(WEBSITE)
        .await
        .unwrap_err();
    assert_api_error(&error, 501, "not_implemented");
    assert!(
        error
            .message()
            .is_some_and(|message| message.contains("getWebsite")),
        "{error}"
    );

    // HEAD answers carry no body: the reason comes from the status.
    let error = harness
        .client
        .website_base()
        .check_website_exists(DOMAIN)
        .await
        .unwrap_err();
    assert_api_error(&error, 501, "not_implemented");

    // Authentication still applies to the missing area.
    let intruder = harness.client_as(IDENTIFIER, "nope", Tier::Plugin);
    let error = intruder
        .website_base()
        .get_website(WEBSITE)
        .await
        .unwrap_err();
    assert_api_error(&error, 401, "invalid_session");

    // The area that was given is served.
    let found = harness
        .conversations()
        .get_conversation(WEBSITE, "session_beta")
        .await
        .unwrap();
    assert_eq!(found.state, Some(ConversationState::Resolved));
    assert_eq!(
        harness.calls(),
        [Call::GetConversation {
            session_id: "session_beta".to_owned()
        }]
    );
}

#[tokio::test]
async fn requests_without_valid_credentials_are_rejected_with_401() {
    let harness = start().await;
    let path = format!("/v1/website/{WEBSITE}/conversation/session_alpha");

    // No credentials at all.
    let answer = harness.raw(Method::GET, &path, Auth::Nothing, None).await;
    let message = error_message(&answer, 401, "invalid_session");
    assert_eq!(message, "missing Authorization header");

    // A good token without its tier.
    let answer = harness.raw(Method::GET, &path, Auth::NoTier, None).await;
    let message = error_message(&answer, 401, "invalid_session");
    assert!(message.contains("X-Crisp-Tier"), "{message}");

    // A body does not get decoded before authentication.
    let state_path = format!("{path}/state");
    let answer = harness
        .raw(Method::PATCH, &state_path, Auth::Nothing, Some("{not json"))
        .await;
    error_message(&answer, 401, "invalid_session");

    // The wrong key through the client.
    let wrong_key = "definitely-not-the-key";
    let intruder = harness.client_as(IDENTIFIER, wrong_key, Tier::Plugin);
    let error = intruder
        .website_conversation()
        .get_conversation(WEBSITE, "session_alpha")
        .await
        .unwrap_err();
    assert_api_error(&error, 401, "invalid_session");
    assert_eq!(error.message(), Some("the credentials are not valid"));
    assert!(!error.to_string().contains(wrong_key));
    assert!(!format!("{error:?}").contains(wrong_key));

    // The right key for another tier.
    let user = harness.client_as(IDENTIFIER, KEY, Tier::User);
    let error = user
        .website_conversation()
        .get_conversation_state(WEBSITE, "session_alpha")
        .await
        .unwrap_err();
    assert_api_error(&error, 401, "invalid_session");

    // A HEAD route answers 401 too, which is an error, not "does not exist".
    let error = intruder
        .website_conversation()
        .check_conversation_exists(WEBSITE, "session_alpha")
        .await
        .unwrap_err();
    assert_api_error(&error, 401, "invalid_session");

    // None of these reached the implementation.
    assert!(harness.calls().is_empty(), "{:?}", harness.calls());
    assert_eq!(harness.state().requests.len(), 6);
}

#[tokio::test]
async fn client_debug_and_errors_never_show_the_key() {
    let harness = start().await;
    let debug = format!("{:?}", harness.client);
    assert!(!debug.contains(KEY), "{debug}");
    assert!(debug.contains(IDENTIFIER), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
    let debug = format!("{:?}", harness.conversations());
    assert!(!debug.contains(KEY), "{debug}");

    // Neither does anything the server recorded besides the Authorization header itself.
    harness
        .conversations()
        .get_conversation(WEBSITE, "session_nope")
        .await
        .unwrap_err();
    let request = harness.last_request();
    assert!(!request.uri.contains(KEY) && !request.body.contains(KEY));
    let error = harness
        .conversations()
        .get_conversation(WEBSITE, "session_nope")
        .await
        .unwrap_err();
    assert!(!format!("{error:?}").contains(KEY));
    assert!(!error.to_string().contains(KEY));
}

#[tokio::test]
async fn unknown_route_is_404_and_wrong_method_is_405() {
    let harness = start().await;

    let answer = harness
        .raw(Method::GET, "/v1/nope", Auth::Valid, None)
        .await;
    let message = error_message(&answer, 404, "not_found");
    assert!(message.contains("/v1/nope"), "{message}");

    // Outside `/v1` too, and the query string is never repeated.
    let answer = harness
        .raw(
            Method::GET,
            "/website/w/conversations/1?secret=x",
            Auth::Valid,
            None,
        )
        .await;
    let message = error_message(&answer, 404, "not_found");
    assert!(!message.contains("secret"), "{message}");

    let path = format!("/v1/website/{WEBSITE}/conversation/session_alpha/state");
    let answer = harness
        .raw(
            Method::PUT,
            &path,
            Auth::Valid,
            Some(r#"{"state":"resolved"}"#),
        )
        .await;
    let message = error_message(&answer, 405, "method_not_allowed");
    assert!(message.contains("PUT"), "{message}");
    // RFC 9110 §15.5.6: a 405 lists the methods the resource supports.
    let allow = answer
        .headers
        .get("allow")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        allow.contains("GET") && allow.contains("PATCH"),
        "Allow: `{allow}`"
    );

    let answer = harness
        .raw(
            Method::POST,
            "/v1/website/w/conversations/1",
            Auth::Valid,
            None,
        )
        .await;
    error_message(&answer, 405, "method_not_allowed");

    assert!(harness.calls().is_empty());
}

#[tokio::test]
async fn malformed_and_mistyped_bodies_are_invalid_data_naming_the_field() {
    let harness = start().await;
    let base = format!("/v1/website/{WEBSITE}/conversation/session_alpha");
    let state_path = format!("{base}/state");

    let answer = harness
        .raw(
            Method::PATCH,
            &state_path,
            Auth::Valid,
            Some(r#"{"state": "resolved""#),
        )
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert!(message.starts_with("invalid request body"), "{message}");

    let answer = harness
        .raw(
            Method::PATCH,
            &state_path,
            Auth::Valid,
            Some(r#"{"state": 42}"#),
        )
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert!(message.contains("`state`"), "{message}");

    let answer = harness
        .raw(Method::PATCH, &state_path, Auth::Valid, Some("{}"))
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert!(message.contains("missing field `state`"), "{message}");

    let answer = harness
        .raw(Method::PATCH, &state_path, Auth::Valid, None)
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert_eq!(message, "missing request body");

    let answer = harness
        .raw(
            Method::PATCH,
            &format!("{base}/open"),
            Auth::Valid,
            Some(r#"{"opened": "yes"}"#),
        )
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert!(message.contains("`opened`"), "{message}");

    let answer = harness
        .raw(
            Method::PATCH,
            &format!("{base}/meta"),
            Auth::Valid,
            Some(r#"{"device": {"timezone": "UTC"}}"#),
        )
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert!(message.contains("`device.timezone`"), "{message}");

    let answer = harness
        .raw(
            Method::PATCH,
            &format!("{base}/routing"),
            Auth::Valid,
            Some(r#"{"assigned": "operator-1"}"#),
        )
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert!(message.contains("`assigned`"), "{message}");

    // None of these reached the implementation.
    assert!(harness.calls().is_empty(), "{:?}", harness.calls());
}

#[tokio::test]
async fn invalid_message_content_names_the_nested_field() {
    let harness = start().await;
    let path = format!("/v1/website/{WEBSITE}/conversation/session_alpha/message");
    let body = r#"{"type": "file", "from": "operator", "origin": "chat",
                   "content": {"name": "a.pdf", "url": 1, "type": "application/pdf"}}"#;
    let answer = harness
        .raw(Method::POST, &path, Auth::Valid, Some(body))
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert!(harness.calls().is_empty(), "{:?}", harness.calls());
    // The runtime documents exactly this message shape for message content
    // (`runtime/src/server/body.rs`): the path inside the tagged union must survive.
    assert!(message.contains("`content.url`"), "{message}");
}

#[tokio::test]
async fn bad_path_and_query_values_are_invalid_data_naming_the_parameter() {
    let harness = start().await;
    let list = format!("/v1/website/{WEBSITE}/conversations/1");
    // Each bad value, and what the message must name: the parameter and the value.
    let cases = [
        (
            "/v1/website/w/conversations/abc".to_owned(),
            "page_number",
            "abc",
        ),
        (
            "/v1/website/w/conversations/-1".to_owned(),
            "page_number",
            "-1",
        ),
        (
            format!("/v1/website/{WEBSITE}/conversation/s/message/x1"),
            "fingerprint",
            "x1",
        ),
        (
            format!("{list}?filter_unread=maybe"),
            "filter_unread",
            "maybe",
        ),
        (format!("{list}?per_page=70000"), "per_page", "70000"),
        (
            format!("/v1/website/{WEBSITE}/conversation/s/messages?timestamp_before=yesterday"),
            "timestamp_before",
            "yesterday",
        ),
    ];
    for (path, parameter, value) in cases {
        let answer = harness.raw(Method::GET, &path, Auth::Valid, None).await;
        let message = error_message(&answer, 400, "invalid_data");
        assert!(message.contains(parameter), "{path}: {message}");
        assert!(message.contains(value), "{path}: {message}");
    }
    assert!(harness.calls().is_empty(), "{:?}", harness.calls());

    // Accepted spellings of booleans decode to the same value.
    let answer = harness
        .raw(
            Method::GET,
            &format!("{list}?filter_unread=true&filter_resolved=0"),
            Auth::Valid,
            None,
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let Call::ListConversations { options, .. } = harness.last_call() else {
        panic!("unexpected call");
    };
    assert_eq!(
        (options.filter_unread, options.filter_resolved),
        (Some(true), Some(false))
    );
}
