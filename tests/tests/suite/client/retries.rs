//! Rate limits and server errors: which answers are retried, how long the client waits
//! (`Retry-After` or its own backoff), and when it gives up.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use crisp_client::models::ConversationState;
use crisp_client::{Error, Reason, RetryPolicy};
use serde_json::{Value, json};

use super::harness::{
    BODY_MARKER, Reply, SESSION, WEBSITE, assert_authenticated, assert_error_secret_free,
    conversation, fast, new_message, plugin_client, serve,
};

#[tokio::test]
async fn rate_limit_with_retry_after_waits_then_succeeds() {
    let server = serve(|n, _| match n {
        0 => Reply::error(429, "rate_limited", "slow down").header("retry-after", "1"),
        _ => Reply::ok(conversation(SESSION)),
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let answer = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect("the second attempt succeeds");
    assert_eq!(answer.session_id, SESSION);
    assert_eq!(answer.website_id, WEBSITE);
    assert_eq!(answer.state, Some(ConversationState::Unresolved));
    assert_eq!(answer.is_verified, Some(true));
    assert_eq!(answer.created_at, Some(1_710_339_800_000));
    assert_eq!(
        answer.last_message.as_deref(),
        Some("Could you send me the invoice?")
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    // The client waited for what `Retry-After` asked, not its own 20 ms backoff.
    let gap = seen[1].at - seen[0].at;
    assert!(
        gap >= Duration::from_millis(950),
        "the retry came after {gap:?}"
    );
    for request in &seen {
        assert_eq!(request.method, "GET");
        assert_eq!(
            request.path,
            format!("/v1/website/{WEBSITE}/conversation/{SESSION}")
        );
    }
    assert_authenticated(&seen, "plugin");
}

#[tokio::test]
async fn rate_limit_420_is_retried_even_for_a_post() {
    let server = serve(|n, _| match n {
        0 => Reply::error(420, "rate_limited", "quota"),
        _ => Reply::ok(json!({"fingerprint": 163_408_457_284_310_i64})),
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let sent = client
        .website_conversation()
        .send_message_in_conversation(WEBSITE, SESSION, &new_message())
        .await
        .expect("the second attempt succeeds");
    assert_eq!(sent.fingerprint, Some(163_408_457_284_310));
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    // A rate-limited request was not processed: the retry sends the same body.
    assert!(seen.iter().all(|request| request.method == "POST"));
    assert_eq!(seen[0].body, seen[1].body);
    let body: Value = serde_json::from_slice(&seen[1].body).expect("a JSON body");
    assert_eq!(body["content"], BODY_MARKER);
}

#[tokio::test]
async fn server_errors_are_retried_for_a_get_until_success() {
    let server = serve(|n, _| match n {
        0 | 1 => Reply::raw(503, "text/plain", "Service Unavailable"),
        _ => Reply::ok(conversation(SESSION)),
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(4));
    let answer = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect("the third attempt succeeds");
    assert_eq!(answer.session_id, SESSION);
    assert_eq!(server.count(), 3);

    for status in [500, 502, 504] {
        let server = serve(move |n, _| match n {
            0 => Reply::raw(status, "text/plain", "oops"),
            _ => Reply::ok(conversation(SESSION)),
        })
        .await;
        let client = plugin_client(&server.base_url(), fast(4));
        let outcome = client
            .website_conversation()
            .get_conversation(WEBSITE, SESSION)
            .await;
        assert!(outcome.is_ok(), "{status}: {outcome:?}");
        assert_eq!(server.count(), 2, "{status}");
    }
}

#[tokio::test]
async fn server_errors_are_not_retried_for_a_post() {
    let server = serve(|_, _| Reply::raw(503, "text/plain", "Service Unavailable")).await;
    let client = plugin_client(&server.base_url(), fast(4));
    let error = client
        .website_conversation()
        .send_message_in_conversation(WEBSITE, SESSION, &new_message())
        .await
        .expect_err("503 is an error");
    let Error::Api {
        operation,
        status,
        reason,
        message,
    } = &error
    else {
        panic!("expected an API error, got {error:?}");
    };
    assert_eq!(*operation, "sendMessageInConversation");
    assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE);
    // No envelope: the reason comes from the status, the message from the body.
    assert_eq!(*reason, Reason::for_status(503));
    assert_eq!(message.as_deref(), Some("Service Unavailable"));
    assert!(error.is_retryable(), "the caller may retry it");
    // … but the client must not: the message may have been posted.
    assert_eq!(server.count(), 1);
    assert_error_secret_free(&error);
}

#[tokio::test]
async fn rate_limit_forever_gives_up_after_max_attempts() {
    let server = serve(|_, _| Reply::error(429, "rate_limited", "slow down")).await;
    let client = plugin_client(&server.base_url(), fast(3));
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("always limited");
    assert_eq!(server.count(), 3);
    assert_eq!(error.reason(), Some(&Reason::RateLimited));
    assert_eq!(error.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(error.message(), Some("slow down"));
    assert!(error.is_rate_limited() && error.is_retryable());
    assert_eq!(
        error.to_string(),
        "getConversation: rate_limited (429): slow down"
    );
    assert_error_secret_free(&error);

    // Without an envelope the reason still comes from the status.
    let server = serve(|_, _| Reply::raw(429, "text/plain", "")).await;
    let client = plugin_client(&server.base_url(), fast(2));
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("always limited");
    assert_eq!(server.count(), 2);
    assert_eq!(error.reason(), Some(&Reason::RateLimited));
    assert_eq!(error.message(), None);
}

#[tokio::test]
async fn disabled_retries_send_once() {
    let server = serve(|_, _| Reply::error(429, "rate_limited", "slow down")).await;
    let client = plugin_client(&server.base_url(), RetryPolicy::disabled());
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("limited");
    assert!(error.is_rate_limited());
    assert_eq!(server.count(), 1);

    let server = serve(|_, _| Reply::raw(503, "text/plain", "down")).await;
    let client = plugin_client(&server.base_url(), RetryPolicy::disabled());
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("down");
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(server.count(), 1);
    assert_error_secret_free(&error);
}

#[tokio::test]
async fn retry_after_beyond_the_time_budget_gives_up_at_once() {
    let server = serve(|_, _| {
        Reply::error(429, "rate_limited", "come back later").header("retry-after", "30")
    })
    .await;
    let client = plugin_client(
        &server.base_url(),
        fast(5).with_max_elapsed(Duration::from_secs(2)),
    );
    let started = Instant::now();
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("limited");
    let elapsed = started.elapsed();
    assert!(error.is_rate_limited(), "{error:?}");
    assert_eq!(server.count(), 1);
    // Waiting 30 s would overrun the 2 s budget: the client returns without sleeping.
    assert!(
        elapsed < Duration::from_secs(2),
        "returned after {elapsed:?}"
    );
}
