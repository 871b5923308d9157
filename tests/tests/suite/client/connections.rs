//! Answers that never arrive whole: a server too slow for the timeout, a body cut short, a
//! port nothing listens on. Each is retried for a `GET`; a `POST` is retried only when the
//! connection was refused, since then nothing reached the server.

use std::time::{Duration, Instant};

use crisp_client::{Client, Error};

use super::harness::{
    BODY_MARKER, IDENTIFIER, KEY, Reply, SESSION, Seen, WEBSITE, assert_error_secret_free,
    assert_secret_free, capture, conversation, fast, lock, new_message, plugin_client, serve,
    serve_truncated,
};

#[tokio::test]
async fn timeouts_are_retried_for_a_get_only() {
    let slow = |_: usize, _: &Seen| Reply::ok(conversation(SESSION)).after(Duration::from_secs(10));
    let server = serve(slow).await;
    let client = Client::builder()
        .plugin(IDENTIFIER, KEY)
        .base_url(server.base_url())
        .timeout(Some(Duration::from_millis(200)))
        .retry(fast(3))
        .build()
        .expect("a client");
    let started = Instant::now();
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("too slow");
    assert!(
        matches!(
            error,
            Error::Timeout {
                operation: "getConversation"
            }
        ),
        "{error:?}"
    );
    assert!(error.is_timeout() && error.is_retryable());
    assert_eq!(error.to_string(), "getConversation: the request timed out");
    assert_eq!(server.count(), 3);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_error_secret_free(&error);

    let server = serve(slow).await;
    let client = Client::builder()
        .plugin(IDENTIFIER, KEY)
        .base_url(server.base_url())
        .timeout(Some(Duration::from_millis(200)))
        .retry(fast(3))
        .build()
        .expect("a client");
    let error = client
        .website_conversation()
        .send_message_in_conversation(WEBSITE, SESSION, &new_message())
        .await
        .expect_err("too slow");
    assert!(
        matches!(
            error,
            Error::Timeout {
                operation: "sendMessageInConversation"
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn truncated_bodies_fail_and_are_retried_for_a_get_only() {
    let (addr, arrivals) = serve_truncated().await;
    let client = plugin_client(&format!("http://{addr}/v1"), fast(3));
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("truncated");
    assert!(
        matches!(
            error,
            Error::Transport {
                operation: "getConversation",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(lock(&arrivals).len(), 3);
    assert_error_secret_free(&error);

    let (addr, arrivals) = serve_truncated().await;
    let client = plugin_client(&format!("http://{addr}/v1"), fast(3));
    let error = client
        .website_conversation()
        .send_message_in_conversation(WEBSITE, SESSION, &new_message())
        .await
        .expect_err("truncated");
    assert!(
        matches!(
            error,
            Error::Transport {
                operation: "sendMessageInConversation",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(lock(&arrivals).len(), 1);
    assert_error_secret_free(&error);
}

#[tokio::test]
async fn refused_connections_are_retried_even_for_a_post() {
    // A port bound but not listening: connections to it are refused, and no other test can
    // bind it and answer while the socket lives (as it could once a listener was dropped).
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("bind a loopback port");
    let addr = socket.local_addr().expect("a local address");
    let client = plugin_client(&format!("http://{addr}/v1"), fast(3));
    let (buffer, guard) = capture();
    let error = client
        .website_conversation()
        .send_message_in_conversation(WEBSITE, SESSION, &new_message())
        .await
        .expect_err("nothing listens");
    drop(guard);
    drop(socket);
    assert!(
        matches!(
            error,
            Error::Transport {
                operation: "sendMessageInConversation",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_error_secret_free(&error);
    // Nothing reached a server, so the tracing output is what counts the attempts.
    let output = buffer.text();
    let retries = output
        .lines()
        .filter(|line| line.contains("crisp.call") && line.contains(": retrying"))
        .count();
    assert_eq!(retries, 2, "{output}");
    assert!(output.contains("attempt=3"), "{output}");
    assert_secret_free(&output);
    assert!(
        !output.contains(BODY_MARKER),
        "the request body leaked:\n{output}"
    );
}
