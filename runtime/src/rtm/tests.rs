//! The real-time client against scripted servers on 127.0.0.1: the protocol as Crisp speaks
//! it, reconnection, refused credentials, and servers that break the protocol on purpose.
//! (The tests crate runs it against the reference `socket.io` server and the sandbox.)

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::*;
use crate::Tier;
use crate::client::Credentials;

const KEY: &str = "s3cr3t-rtm-key";

/// One client connection, as the scripted server sees it.
struct Peer {
    ws: WebSocketStream<TcpStream>,
    /// Which connection this is, from 1.
    index: usize,
}

impl Peer {
    async fn send(&mut self, text: &str) {
        let _ = self.ws.send(Message::text(text)).await;
    }

    /// The next text frame from the client, `None` once it is gone.
    async fn recv(&mut self) -> Option<String> {
        loop {
            match tokio::time::timeout(Duration::from_secs(10), self.ws.next())
                .await
                .ok()??
            {
                Ok(Message::Text(text)) => return Some(text.as_str().to_owned()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// The server's side of both handshakes, with a heartbeat of `ping` ms each way.
    async fn handshake_with(&mut self, ping: u64) {
        self.send(&format!(r#"0{{"sid":"eio-{}","upgrades":[],"pingInterval":{ping},"pingTimeout":{ping},"maxPayload":1000000}}"#, self.index)).await;
        assert_eq!(
            self.recv().await.as_deref(),
            Some("40"),
            "the client connects the default namespace"
        );
        self.send(r#"40{"sid":"sio"}"#).await;
    }

    async fn handshake(&mut self) {
        self.handshake_with(25_000).await;
    }

    /// The `authentication` event's payload.
    async fn authentication(&mut self) -> Value {
        let frame = self.recv().await.expect("the authentication");
        let args: Value =
            serde_json::from_str(frame.strip_prefix("42").expect("an event")).expect("JSON");
        assert_eq!(args[0], "authentication", "{frame}");
        args[1].clone()
    }

    /// Both handshakes and an accepted authentication.
    async fn accept(&mut self) -> Value {
        self.handshake().await;
        let authentication = self.authentication().await;
        self.send(r#"42["authenticated",true]"#).await;
        authentication
    }

    async fn emit(&mut self, name: &str, data: Value) {
        let frame = format!("42{}", json!([name, data]));
        self.send(&frame).await;
    }
}

/// A server on 127.0.0.1 running `script` for each connection; it counts connections.
async fn serve<F, Fut>(script: F) -> (SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(Peer) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let count = Arc::new(AtomicUsize::new(0));
    let connections = Arc::clone(&count);
    let script = Arc::new(script);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let index = connections.fetch_add(1, Ordering::SeqCst) + 1;
            let script = Arc::clone(&script);
            tokio::spawn(async move {
                if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                    script(Peer { ws, index }).await;
                }
            });
        }
    });
    (address, count)
}

/// Events decoded as their name and data, for these tests.
fn pair(name: String, data: Value) -> (String, Value) {
    (name, data)
}

fn realtime(address: SocketAddr) -> Realtime<(String, Value)> {
    Realtime::new(
        Credentials::new("rtm-id", KEY, Tier::Plugin),
        &["message:send", "session:set_state"],
        pair,
        None,
    )
    .endpoint(format!("ws://{address}/"))
    .reconnect(
        Reconnect::new()
            .with_initial_delay(Duration::from_millis(20))
            .with_max_delay(Duration::from_millis(50)),
    )
    .connect_timeout(Duration::from_secs(2))
}

/// The next item of a subscription, within ten seconds.
async fn next<E>(subscription: &mut Subscription<E>) -> Option<Result<E, Error>> {
    tokio::time::timeout(Duration::from_secs(10), subscription.next())
        .await
        .expect("an item within ten seconds")
}

#[tokio::test]
async fn events_arrive_in_order_after_the_authentication_crisp_expects() {
    let (auth_tx, mut auth_rx) = mpsc::unbounded_channel();
    let (address, _) = serve(move |mut peer| {
        let auth_tx = auth_tx.clone();
        async move {
            let _ = auth_tx.send(peer.accept().await);
            peer.emit(
                "message:send",
                json!({"session_id": "s1", "content": "Hello"}),
            )
            .await;
            peer.emit(
                "session:set_state",
                json!({"session_id": "s1", "state": "resolved"}),
            )
            .await;
            let _ = peer.recv().await;
        }
    })
    .await;
    let mut events = realtime(address).subscribe();
    assert!(events.authenticated().await);
    assert_eq!(events.state(), State::Authenticated);
    assert_eq!(
        auth_rx.recv().await,
        Some(
            json!({"username": "rtm-id", "password": KEY, "tier": "plugin", "events": ["message:send", "session:set_state"]})
        )
    );
    let first = next(&mut events).await.expect("an item").expect("an event");
    assert_eq!(
        first,
        (
            "message:send".to_owned(),
            json!({"session_id": "s1", "content": "Hello"})
        )
    );
    let second = next(&mut events).await.expect("an item").expect("an event");
    assert_eq!(second.0, "session:set_state");
    assert_eq!(second.1["state"], "resolved");
}

#[tokio::test]
async fn pings_are_answered_with_pongs() {
    let (pong_tx, mut pong_rx) = mpsc::unbounded_channel();
    let (address, _) = serve(move |mut peer| {
        let pong_tx = pong_tx.clone();
        async move {
            peer.accept().await;
            peer.send("2").await;
            let _ = pong_tx.send(peer.recv().await);
        }
    })
    .await;
    let events = realtime(address).subscribe();
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(10), pong_rx.recv())
            .await
            .expect("a pong in time"),
        Some(Some("3".to_owned()))
    );
    drop(events);
}

#[tokio::test]
async fn refused_credentials_end_the_stream_without_reconnecting() {
    let (address, connections) = serve(|mut peer| async move {
        peer.handshake().await;
        let _ = peer.authentication().await;
        peer.send(r#"42["unauthorized",{"message":"Invalid session"}]"#)
            .await;
        let _ = peer.recv().await;
    })
    .await;
    let mut events = realtime(address).subscribe();
    match next(&mut events).await {
        Some(Err(Error::Unauthorized { message })) => {
            assert_eq!(message.as_deref(), Some("Invalid session"))
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    assert!(
        next(&mut events).await.is_none(),
        "the stream ends after the error"
    );
    assert!(!events.authenticated().await);
    assert_eq!(events.state(), State::Closed);
    // Long enough for several reconnections at the 20 ms backoff, had there been any.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn authenticated_false_is_a_refusal() {
    let (address, _) = serve(|mut peer| async move {
        peer.handshake().await;
        let _ = peer.authentication().await;
        peer.send(r#"42["authenticated",false]"#).await;
        let _ = peer.recv().await;
    })
    .await;
    let mut events = realtime(address).subscribe();
    assert!(matches!(
        next(&mut events).await,
        Some(Err(Error::Unauthorized { message: None }))
    ));
}

#[tokio::test]
async fn a_lost_connection_reconnects_and_authenticates_again() {
    let (address, connections) = serve(|mut peer| async move {
        let authentication = peer.accept().await;
        let data =
            json!({"connection": peer.index, "password_seen": authentication["password"] == KEY});
        peer.emit("message:send", data).await;
        if peer.index == 1 {
            // The server goes away: the client must come back and authenticate again.
            let _ = peer.ws.close(None).await;
        } else {
            let _ = peer.recv().await;
        }
    })
    .await;
    let mut events = realtime(address).subscribe();
    for connection in 1..=2 {
        let (name, data) = next(&mut events).await.expect("an item").expect("an event");
        assert_eq!(name, "message:send");
        assert_eq!(
            data,
            json!({"connection": connection, "password_seen": true})
        );
    }
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn frames_that_break_the_protocol_mid_session_are_skipped() {
    let (address, _) = serve(|mut peer| async move {
        peer.accept().await;
        peer.emit("message:send", json!({"n": 1})).await;
        for frame in [
            "",
            "9",
            "x",
            "é",
            "0{}",
            "0",
            "4",
            "4x",
            "42",
            "42[",
            "42{}",
            "42[1,2]",
            "42[]",
            "42\"name\"",
            "43[1]",
            r#"451-["file",{"_placeholder":true,"num":0}]"#,
            r#"42/admin,["message:send",{"n":"other namespace"}]"#,
            "3",
            "6",
            "5",
            "40",
            r#"0{"sid":"again","pingInterval":1,"pingTimeout":1}"#,
        ] {
            peer.send(frame).await;
        }
        let _ = peer.ws.send(Message::binary(vec![0xff, 0x00, 0x42])).await;
        let _ = peer.ws.send(Message::Ping(vec![1, 2].into())).await;
        peer.emit("message:send", json!({"n": 2})).await;
        let _ = peer.recv().await;
    })
    .await;
    let mut events = realtime(address).subscribe();
    let numbers: Vec<Value> = [next(&mut events).await, next(&mut events).await]
        .into_iter()
        .map(|item| item.expect("an item").expect("an event").1["n"].clone())
        .collect();
    assert_eq!(numbers, [json!(1), json!(2)]);
    assert_eq!(events.state(), State::Authenticated);
}

#[tokio::test]
async fn broken_handshakes_are_connection_errors_and_attempts_are_bounded() {
    // Each server breaks the handshake its own way; the client makes the first attempt and two
    // more, then gives up with the reason of the last.
    type Breaker = fn(Peer) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;
    type Expected = fn(&ConnectionError) -> bool;
    let cases: [(&str, Breaker, Expected); 6] = [
        (
            "a frame that is not the open packet",
            |mut peer| {
                Box::pin(async move {
                    peer.send("hello").await;
                    let _ = peer.recv().await;
                })
            },
            |e| matches!(e, ConnectionError::Protocol(_)),
        ),
        (
            "a message instead of the open packet",
            |mut peer| {
                Box::pin(async move {
                    peer.send("42[\"x\"]").await;
                    let _ = peer.recv().await;
                })
            },
            |e| matches!(e, ConnectionError::Protocol(_)),
        ),
        (
            "silence",
            |mut peer| {
                Box::pin(async move {
                    let _ = peer.recv().await;
                })
            },
            |e| {
                matches!(
                    e,
                    ConnectionError::Timeout {
                        step: "the Engine.IO handshake",
                        ..
                    }
                )
            },
        ),
        (
            "a refused namespace",
            |mut peer| {
                Box::pin(async move {
                    peer.send(r#"0{"sid":"s","pingInterval":25000,"pingTimeout":20000}"#)
                        .await;
                    let _ = peer.recv().await;
                    peer.send(r#"44{"message":"not here"}"#).await;
                    let _ = peer.recv().await;
                })
            },
            |e| *e == ConnectionError::Refused(Some("not here".to_owned())),
        ),
        (
            "a close right after the open packet",
            |mut peer| {
                Box::pin(async move {
                    peer.send(r#"0{"sid":"s","pingInterval":25000,"pingTimeout":20000}"#)
                        .await;
                    let _ = peer.ws.close(None).await;
                })
            },
            |e| {
                matches!(
                    e,
                    ConnectionError::Closed(_) | ConnectionError::Transport(_)
                )
            },
        ),
        (
            "an Engine.IO close",
            |mut peer| {
                Box::pin(async move {
                    peer.send(r#"0{"sid":"s","pingInterval":25000,"pingTimeout":20000}"#)
                        .await;
                    let _ = peer.recv().await;
                    peer.send("1").await;
                    let _ = peer.recv().await;
                })
            },
            |e| matches!(e, ConnectionError::Closed(_)),
        ),
    ];
    for (case, breaker, expected) in cases {
        let (address, connections) = serve(breaker).await;
        let mut events = realtime(address)
            .reconnect(
                Reconnect::new()
                    .with_initial_delay(Duration::from_millis(10))
                    .with_max_attempts(2),
            )
            .connect_timeout(Duration::from_millis(300))
            .subscribe();
        match next(&mut events).await {
            Some(Err(Error::GaveUp { attempts, last })) => {
                assert_eq!(attempts, 2, "{case}");
                assert!(expected(&last), "{case}: {last:?}");
            }
            other => panic!("{case}: expected GaveUp, got {other:?}"),
        }
        assert!(next(&mut events).await.is_none(), "{case}: the stream ends");
        assert_eq!(connections.load(Ordering::SeqCst), 3, "{case}");
    }
}

#[tokio::test]
async fn a_silent_server_is_noticed_by_its_heartbeat() {
    let (address, _) = serve(|mut peer| async move {
        // A one-second heartbeat each way, then nothing: no ping, no event.
        peer.handshake_with(1000).await;
        let _ = peer.authentication().await;
        peer.send(r#"42["authenticated",true]"#).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let mut events = realtime(address)
        .reconnect(Reconnect::disabled())
        .subscribe();
    match next(&mut events).await {
        Some(Err(Error::GaveUp {
            attempts: 0,
            last: ConnectionError::Silent(limit),
        })) => assert_eq!(limit, Duration::from_secs(2)),
        other => panic!("expected the heartbeat to end the session, got {other:?}"),
    }
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_given_up() {
    // A port bound but not listening, held for the test: connections are refused, and no test
    // running in parallel can bind it and answer.
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("bind");
    let address = socket.local_addr().expect("address");
    let mut events = realtime(address)
        .reconnect(
            Reconnect::new()
                .with_initial_delay(Duration::from_millis(5))
                .with_max_attempts(3),
        )
        .subscribe();
    match next(&mut events).await {
        Some(Err(
            error @ Error::GaveUp {
                attempts: 3,
                last: ConnectionError::Connect(_),
            },
        )) => {
            assert!(!format!("{error} {error:?}").contains(KEY));
        }
        other => panic!("expected GaveUp after 3 attempts, got {other:?}"),
    }
}

#[tokio::test]
async fn tls_endpoints_speak_tls() {
    // A plain server on a wss:// URL: the TLS handshake fails, which proves it was attempted.
    let (address, _) = serve(|mut peer| async move {
        let _ = peer.recv().await;
    })
    .await;
    let mut events = realtime(address)
        .endpoint(format!("wss://{address}/"))
        .reconnect(Reconnect::disabled())
        .subscribe();
    match next(&mut events).await {
        Some(Err(Error::GaveUp {
            last: ConnectionError::Connect(reason),
            ..
        })) => assert!(!reason.is_empty()),
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    let (closed_tx, mut closed_rx) = mpsc::unbounded_channel();
    let (address, _) = serve(move |mut peer| {
        let closed_tx = closed_tx.clone();
        async move {
            peer.accept().await;
            let _ = closed_tx.send(peer.recv().await);
        }
    })
    .await;
    let events = realtime(address).subscribe();
    assert!(events.authenticated().await);
    drop(events);
    let closed = tokio::time::timeout(Duration::from_secs(10), closed_rx.recv())
        .await
        .expect("the server sees the end");
    assert_eq!(closed, Some(None));
}

#[tokio::test]
async fn endpoints_and_discovery_failures_end_the_stream() {
    let mut events = realtime("127.0.0.1:1".parse().expect("an address"))
        .endpoint("ftp://example.com/")
        .subscribe();
    assert!(matches!(
        next(&mut events).await,
        Some(Err(Error::InvalidEndpoint { .. }))
    ));

    let discover: Discover = Arc::new(|| {
        Box::pin(async {
            Err(Error::Discovery(crate::client::Error::Config {
                message: "no endpoint here".to_owned(),
            }))
        })
    });
    let mut events = Realtime::new(
        Credentials::new("id", KEY, Tier::User),
        &[],
        pair,
        Some(discover),
    )
    .subscribe();
    assert!(matches!(
        next(&mut events).await,
        Some(Err(Error::Discovery(_)))
    ));

    let mut events =
        Realtime::new(Credentials::new("id", KEY, Tier::User), &[], pair, None).subscribe();
    assert!(matches!(
        next(&mut events).await,
        Some(Err(Error::InvalidEndpoint { .. }))
    ));
}

#[tokio::test]
async fn the_discovered_endpoint_is_used() {
    let (address, _) = serve(|mut peer| async move {
        peer.accept().await;
        peer.emit("message:send", json!({"found": true})).await;
        let _ = peer.recv().await;
    })
    .await;
    let url = format!("http://{address}");
    let discover: Discover = Arc::new(move || {
        let url = url.clone();
        Box::pin(async move { Ok(url) })
    });
    let mut events = Realtime::new(
        Credentials::new("id", KEY, Tier::Plugin),
        &["message:send"],
        pair,
        Some(discover),
    )
    .subscribe();
    let (_, data) = next(&mut events).await.expect("an item").expect("an event");
    assert_eq!(data, json!({"found": true}));
}

#[test]
fn without_a_runtime_the_stream_says_so() {
    let mut events = realtime("127.0.0.1:1".parse().expect("an address")).subscribe();
    let item = futures_util::FutureExt::now_or_never(events.next()).expect("ready at once");
    assert!(matches!(item, Some(Err(Error::NoRuntime))));
    assert_eq!(events.state(), State::Closed);
}

#[test]
fn the_key_never_shows() {
    let realtime = realtime("127.0.0.1:1".parse().expect("an address"));
    assert!(!format!("{realtime:?}").contains(KEY));
    let error = Error::Unauthorized {
        message: Some("Invalid session".to_owned()),
    };
    assert!(!format!("{error} {error:?}").contains(KEY));
}

#[tokio::test]
async fn while_waiting_to_reconnect_the_state_says_so() {
    let (address, _) = serve(|mut peer| async move {
        peer.accept().await;
        let _ = peer.ws.close(None).await;
    })
    .await;
    let events = realtime(address)
        .reconnect(Reconnect::new().with_initial_delay(Duration::from_secs(30)))
        .subscribe();
    assert!(events.authenticated().await);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while events.state() != (State::Connecting { attempt: 1 }) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still {:?}",
            events.state()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// An in-memory sink for what one test traces.
#[derive(Clone, Default)]
struct Trace(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Trace {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Trace {
    fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[tokio::test]
async fn connections_losses_and_reconnections_are_traced_without_the_key() {
    let (address, _) = serve(|mut peer| async move {
        peer.accept().await;
        if peer.index == 1 {
            let _ = peer.ws.close(None).await;
        } else {
            let _ = peer.recv().await;
        }
    })
    .await;
    // This test's thread, which runs the subscription's task too (a current-thread runtime).
    let trace = Trace::default();
    let writer = trace.clone();
    let guard = crate::test_tracing::scoped(
        tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish(),
    );
    let events = realtime(address).subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while trace.text().matches("authenticated").count() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "{}", trace.text());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(events);
    drop(guard);
    let text = trace.text();
    let lines = |needle: &str| text.lines().filter(|line| line.contains(needle)).count();
    assert_eq!(lines(" connected"), 2, "{text}");
    assert_eq!(lines(" authenticated"), 2, "{text}");
    assert_eq!(
        lines("the server closed the connection; reconnecting in"),
        1,
        "{text}"
    );
    assert!(
        text.contains(&format!("endpoint=ws://{address}/")),
        "the endpoint is named: {text}"
    );
    assert!(!text.contains(KEY), "the key leaked: {text}");
}
