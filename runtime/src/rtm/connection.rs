//! One connection to the real-time socket: the WebSocket, the Engine.IO handshake and
//! heartbeat, the Socket.IO namespace, and the events that come in.
//!
//! [`Connection::open`] dials the endpoint and completes both handshakes within the connect
//! timeout; [`Connection::next_event`] then answers pings and yields events until the session
//! ends. A frame that breaks the protocol in the middle of a session is logged and skipped, so
//! a single bad frame never costs the events after it; a broken handshake is an error.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::Url;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::ConnectionError;
use super::packet::{self, EnginePacket, Handshake, SocketPacket};

/// The log target of the real-time client.
pub(crate) const TARGET: &str = "crisp_runtime::rtm";

/// The largest message the client accepts; Crisp's events are a few kilobytes.
const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// The read buffer of a connection.
const READ_BUFFER: usize = 8 * 1024;

/// Where to connect: the WebSocket URL of an endpoint, and how to show it in logs.
#[derive(Clone, Debug)]
pub(crate) struct Endpoint {
    /// The URL dialled: `ws(s)://host[:port]/path/?EIO=4&transport=websocket`.
    url: Url,
    /// Scheme, host, port and path: what logs show.
    shown: String,
}

impl Endpoint {
    /// The endpoint of a URL as Crisp gives it (`wss://plugins.relay.crisp.chat/`).
    ///
    /// As the official clients do, the socket is at the URL's origin and path (a trailing
    /// `/` is added, as Engine.IO clients add it), and the URL's own query is left out; `http`
    /// and `https` mean `ws` and `wss`.
    pub(crate) fn parse(text: &str) -> Result<Endpoint, String> {
        let mut url = Url::parse(text.trim()).map_err(|error| format!("not a URL ({error})"))?;
        let scheme = match url.scheme() {
            "ws" | "http" => "ws",
            "wss" | "https" => "wss",
            other => {
                return Err(format!(
                    "the scheme `{other}` is not ws, wss, http or https"
                ));
            }
        };
        if url.host_str().is_none_or(str::is_empty) {
            return Err("it has no host".to_owned());
        }
        if url.set_scheme(scheme).is_err() {
            return Err(format!("it cannot be dialled as `{scheme}`"));
        }
        // Credentials in the URL would travel in the handshake and show in logs.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        url.set_fragment(None);
        url.set_query(Some("EIO=4&transport=websocket"));
        let mut shown = format!("{scheme}://{}", url.host_str().unwrap_or_default());
        if let Some(port) = url.port() {
            shown.push_str(&format!(":{port}"));
        }
        shown.push_str(url.path());
        Ok(Endpoint { url, shown })
    }

    /// Whether the endpoint needs TLS.
    pub(crate) fn is_secure(&self) -> bool {
        self.url.scheme() == "wss"
    }

    /// The URL dialled.
    #[cfg(test)]
    pub(crate) fn url(&self) -> &str {
        self.url.as_str()
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

/// The TLS configuration of `wss` endpoints: rustls with the platform's certificate verifier
/// and the crypto provider reqwest uses (the process default if one is installed, else
/// aws-lc-rs), so the real-time socket trusts what the REST client trusts.
pub(crate) fn tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let verifier = rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
        .map_err(|error| error.to_string())?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// How a connection is dialled.
#[derive(Clone, Debug)]
pub(crate) struct Dial {
    /// The TLS configuration, for `wss` endpoints.
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
    /// How long each step of the handshake may take.
    pub(crate) timeout: Duration,
    /// The `User-Agent` of the WebSocket handshake.
    pub(crate) user_agent: String,
}

/// One open connection, past both handshakes.
pub(crate) struct Connection {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    handshake: Handshake,
}

impl Connection {
    /// Dials `endpoint` and completes the Engine.IO handshake and the Socket.IO connection of
    /// the default namespace, each step within `dial.timeout`.
    pub(crate) async fn open(
        endpoint: &Endpoint,
        dial: &Dial,
    ) -> Result<Connection, ConnectionError> {
        let mut request = endpoint
            .url
            .as_str()
            .into_client_request()
            .map_err(|error| ConnectionError::Connect(error.to_string()))?;
        if let Ok(agent) = http::HeaderValue::from_str(&dial.user_agent) {
            request
                .headers_mut()
                .insert(http::header::USER_AGENT, agent);
        }
        let connector = match (&dial.tls, endpoint.is_secure()) {
            (Some(tls), true) => Connector::Rustls(Arc::clone(tls)),
            _ => Connector::Plain,
        };
        let mut config = WebSocketConfig::default();
        config.max_message_size = Some(MAX_MESSAGE);
        config.max_frame_size = Some(MAX_MESSAGE);
        // Crisp's frames are small: tungstenite's 128 KiB read buffer would be most of what a
        // subscription costs (larger frames still grow it as needed).
        config.read_buffer_size = READ_BUFFER;
        let dialled = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(config),
            true,
            Some(connector),
        );
        let (socket, _) = within(dial.timeout, "the WebSocket handshake", dialled)
            .await?
            .map_err(|error| ConnectionError::Connect(describe(&error)))?;
        let mut connection = Connection {
            socket,
            // Replaced by the server's handshake before it is read.
            handshake: Handshake {
                sid: String::new(),
                ping_interval: dial.timeout,
                ping_timeout: dial.timeout,
            },
        };
        connection.handshake = within(
            dial.timeout,
            "the Engine.IO handshake",
            connection.engine_handshake(),
        )
        .await??;
        connection.send(packet::CONNECT.to_owned()).await?;
        within(
            dial.timeout,
            "the Socket.IO connection",
            connection.namespace_connected(),
        )
        .await??;
        Ok(connection)
    }

    /// The session id the server gave.
    pub(crate) fn sid(&self) -> &str {
        &self.handshake.sid
    }

    /// Reads the open packet, which must come first.
    async fn engine_handshake(&mut self) -> Result<Handshake, ConnectionError> {
        let frame = self.next_text().await?;
        match packet::parse_engine(&frame) {
            Ok(EnginePacket::Open(handshake)) => Ok(handshake),
            Ok(other) => Err(ConnectionError::Protocol(format!(
                "expected the open packet, got {other:?}"
            ))),
            Err(error) => Err(ConnectionError::Protocol(error.to_string())),
        }
    }

    /// Waits for the server to accept the default namespace, answering pings meanwhile.
    async fn namespace_connected(&mut self) -> Result<(), ConnectionError> {
        loop {
            match self.next_socket_packet().await? {
                SocketPacket::Connect => return Ok(()),
                SocketPacket::ConnectError(reason) => return Err(ConnectionError::Refused(reason)),
                SocketPacket::Disconnect => {
                    return Err(ConnectionError::Closed(Some(
                        "the namespace was disconnected".to_owned(),
                    )));
                }
                other => {
                    tracing::debug!(target: TARGET, "before the namespace connected, skipped {other:?}")
                }
            }
        }
    }

    /// Emits the event `name` with `data` as its argument.
    pub(crate) async fn emit<T: serde::Serialize>(
        &mut self,
        name: &str,
        data: &T,
    ) -> Result<(), ConnectionError> {
        let frame = packet::event(name, data).map_err(|error| {
            ConnectionError::Protocol(format!("the `{name}` event does not encode: {error}"))
        })?;
        self.send(frame).await
    }

    /// The next event of the default namespace, answering pings on the way. A frame that
    /// breaks the protocol is logged and skipped; the session ends with an error when the
    /// server closes it, goes silent past its heartbeat, or the WebSocket fails.
    pub(crate) async fn next_event(&mut self) -> Result<(String, Value), ConnectionError> {
        loop {
            match self.next_socket_packet().await? {
                SocketPacket::Event { name, data } => return Ok((name, data)),
                SocketPacket::Disconnect => {
                    return Err(ConnectionError::Closed(Some(
                        "the server disconnected the socket".to_owned(),
                    )));
                }
                SocketPacket::ConnectError(reason) => return Err(ConnectionError::Refused(reason)),
                SocketPacket::Connect => {
                    tracing::debug!(target: TARGET, "a second namespace connection, skipped")
                }
                SocketPacket::Ignored(what) => tracing::debug!(target: TARGET, "skipped {what}"),
            }
        }
    }

    /// Closes the connection politely, without waiting long for the server.
    pub(crate) async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.socket.close(None)).await;
    }

    /// The next Socket.IO packet, answering pings and skipping what does not parse.
    async fn next_socket_packet(&mut self) -> Result<SocketPacket, ConnectionError> {
        loop {
            let frame = self.next_text().await?;
            let message = match packet::parse_engine(&frame) {
                Ok(EnginePacket::Message(message)) => message,
                Ok(EnginePacket::Ping) => {
                    self.send(packet::PONG.to_owned()).await?;
                    continue;
                }
                Ok(EnginePacket::Close) => {
                    return Err(ConnectionError::Closed(Some(
                        "the server ended the session".to_owned(),
                    )));
                }
                Ok(EnginePacket::Pong | EnginePacket::Noop) => continue,
                Ok(EnginePacket::Open(_)) => {
                    tracing::warn!(target: TARGET, "a second open packet, skipped");
                    continue;
                }
                Err(error) => {
                    tracing::warn!(target: TARGET, "a frame that is not Engine.IO, skipped: {error}");
                    continue;
                }
            };
            match packet::parse_socket(message) {
                Ok(packet) => return Ok(packet),
                Err(error) => {
                    tracing::warn!(target: TARGET, "a message that is not Socket.IO, skipped: {error}")
                }
            }
        }
    }

    /// The next text frame: pings of the WebSocket itself are answered by tungstenite, and
    /// binary frames (which this client never asks for) are skipped. Any frame shows the
    /// server is alive; silence past the heartbeat ends the session.
    async fn next_text(&mut self) -> Result<String, ConnectionError> {
        let limit = self.handshake.silence_limit();
        loop {
            let Ok(frame) = tokio::time::timeout(limit, self.socket.next()).await else {
                return Err(ConnectionError::Silent(limit));
            };
            match frame {
                None => return Err(ConnectionError::Closed(None)),
                Some(Err(error)) => return Err(ConnectionError::Transport(describe(&error))),
                Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
                Some(Ok(Message::Close(frame))) => {
                    let reason = frame.and_then(|frame| {
                        let reason = frame.reason.as_str().trim();
                        match (frame.code, reason.is_empty()) {
                            (CloseCode::Normal, true) => None,
                            (code, true) => Some(format!("close code {}", u16::from(code))),
                            (_, false) => Some(reason.chars().take(200).collect()),
                        }
                    });
                    return Err(ConnectionError::Closed(reason));
                }
                Some(Ok(Message::Binary(bytes))) => {
                    tracing::debug!(target: TARGET, "a binary frame of {} bytes, skipped", bytes.len());
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
            }
        }
    }

    /// Sends one text frame.
    async fn send(&mut self, frame: String) -> Result<(), ConnectionError> {
        self.socket
            .send(Message::text(frame))
            .await
            .map_err(|error| ConnectionError::Transport(describe(&error)))
    }
}

/// Runs `step` within `limit`, naming the step if it does not complete.
async fn within<T>(
    limit: Duration,
    step: &'static str,
    future: impl Future<Output = T>,
) -> Result<T, ConnectionError> {
    tokio::time::timeout(limit, future)
        .await
        .map_err(|_| ConnectionError::Timeout { step, after: limit })
}

/// A WebSocket error in a sentence; an HTTP answer to the handshake shows its status only.
fn describe(error: &tungstenite::Error) -> String {
    match error {
        tungstenite::Error::Http(response) => format!(
            "the server answered the WebSocket handshake with HTTP {}",
            response.status()
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_dialled_like_the_official_clients_dial_them() {
        let cases = [
            (
                "wss://plugins.relay.crisp.chat/",
                "wss://plugins.relay.crisp.chat/?EIO=4&transport=websocket",
                "wss://plugins.relay.crisp.chat/",
            ),
            (
                "https://app.relay.crisp.chat",
                "wss://app.relay.crisp.chat/?EIO=4&transport=websocket",
                "wss://app.relay.crisp.chat/",
            ),
            (
                "ws://127.0.0.1:8080/rtm",
                "ws://127.0.0.1:8080/rtm/?EIO=4&transport=websocket",
                "ws://127.0.0.1:8080/rtm/",
            ),
            (
                "http://user:pass@localhost:9/rtm/?key=k#x",
                "ws://localhost:9/rtm/?EIO=4&transport=websocket",
                "ws://localhost:9/rtm/",
            ),
        ];
        for (given, dialled, shown) in cases {
            let endpoint = Endpoint::parse(given).expect(given);
            assert_eq!(endpoint.url(), dialled, "{given}");
            assert_eq!(endpoint.to_string(), shown, "{given}");
        }
    }

    #[test]
    fn unusable_endpoints_say_why() {
        let cases = [
            ("", "not a URL"),
            ("ftp://example.com/", "scheme `ftp`"),
            ("/rtm/", "not a URL"),
            ("mailto:a@b.c", "scheme `mailto`"),
        ];
        for (given, why) in cases {
            let error = Endpoint::parse(given).expect_err(given);
            assert!(error.contains(why), "{given}: {error}");
        }
    }

    #[test]
    fn the_tls_configuration_builds() {
        let config = tls_config().expect("a TLS configuration");
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
    }
}
