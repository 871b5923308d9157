//! What an operation's method returns: a future that is `Send` and borrows the client only, so
//! that its arguments may go before it is awaited and it can be moved to another task.

use serde_json::json;

use super::harness::{
    BODY_MARKER, Reply, SESSION, WEBSITE, fast, new_message, plugin_client, serve,
};

/// Takes only what is `Send`: a future that is not would make this test fail to compile.
fn send<F: Send>(future: F) -> F {
    future
}

#[tokio::test]
async fn an_operation_future_is_send_and_outlives_its_arguments() {
    let server = serve(|_, _| Reply::ok(json!({"fingerprint": 7}))).await;
    let client = plugin_client(&server.base_url(), fast(1));
    let future = {
        // Arguments that are gone before the future is awaited.
        let website = WEBSITE.to_owned();
        let session = SESSION.to_owned();
        let message = new_message();
        send(
            client
                .website_conversation()
                .send_message_in_conversation(&website, &session, &message),
        )
    };
    let answer = future.await.expect("an answer");
    assert_eq!(answer.fingerprint, Some(7));
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].path,
        format!("/v1/website/{WEBSITE}/conversation/{SESSION}/message")
    );
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).expect("a JSON body");
    assert_eq!(body["content"], BODY_MARKER);
}

#[tokio::test]
async fn an_operation_future_runs_on_another_task() {
    let server = serve(|_, _| Reply::ok(json!(null))).await;
    let client = plugin_client(&server.base_url(), fast(1));
    // The task owns the client; the future borrows it inside the task.
    let exists = tokio::spawn(async move {
        client
            .website_conversation()
            .check_conversation_exists(WEBSITE, SESSION)
            .await
    })
    .await
    .expect("the task finishes")
    .expect("an answer");
    assert!(exists);
    assert_eq!(server.count(), 1);
}
