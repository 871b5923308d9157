//! The tracing output of a call: it names the operation, its attempts and their failures, and
//! never the key or the request body.

use serde_json::json;

use super::harness::{
    BODY_MARKER, Reply, SESSION, WEBSITE, assert_secret_free, capture, fast, new_message,
    plugin_client, serve,
};

#[tokio::test]
async fn tracing_names_the_call_but_never_the_key_or_the_body() {
    let server = serve(|n, _| match n {
        0 => Reply::error(429, "rate_limited", "slow down"),
        _ => Reply::ok(json!({"fingerprint": 77})),
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let (buffer, guard) = capture();
    let sent = client
        .website_conversation()
        .send_message_in_conversation(WEBSITE, SESSION, &new_message())
        .await
        .expect("the retry succeeds");
    drop(guard);
    assert_eq!(sent.fingerprint, Some(77));
    assert_eq!(server.count(), 2);
    let output = buffer.text();
    for expected in [
        "crisp.call",
        "operation=\"sendMessageInConversation\"",
        "method=POST",
        "path=\"/website/{website_id}/conversation/{session_id}/message\"",
        "attempt=1",
        "retrying",
        "failure=status 429",
    ] {
        assert!(
            output.contains(expected),
            "`{expected}` is missing from:\n{output}"
        );
    }
    // The span's final fields, written when it closes: the last attempt and its status.
    let close = output
        .lines()
        .find(|line| line.contains("crisp.call{") && line.contains(": close "))
        .unwrap_or_else(|| panic!("no close line in:\n{output}"));
    assert!(
        close.contains("attempt=2") && close.contains("status=200"),
        "{close}"
    );
    assert_secret_free(&output);
    assert!(
        !output.contains(BODY_MARKER),
        "the request body leaked:\n{output}"
    );
}
