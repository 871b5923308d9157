//! The two packet layers of the RTM socket, as text WebSocket frames carry them: Engine.IO v4
//! (open, ping, pong, message, close) and, inside its message packets, Socket.IO v5
//! (connect, event, disconnect, connect error).
//!
//! Parsing never panics and never trusts the peer: a frame that does not follow the protocol
//! is a [`PacketError`] naming what was wrong, which the connection logs and skips. Only what
//! a websocket-only client of the default namespace needs is understood; binary packets and
//! acknowledgements are recognised and left aside.
//!
//! Written here rather than taken from a crate: the socket.io client crates for Rust either
//! need native-tls and are unmaintained (`rust_socketio`, `tf-rust-socketio`) or pin old
//! WebSocket and HTTP stacks (`socketio-rs`); the part needed is small and is tested against
//! the reference `socket.io` server.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// What a frame failed to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PacketError(pub(crate) String);

impl fmt::Display for PacketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn error(message: impl Into<String>) -> PacketError {
    PacketError(message.into())
}

/// An Engine.IO v4 packet: the first character of a text frame says which.
#[derive(Debug, PartialEq)]
pub(crate) enum EnginePacket<'a> {
    /// `0{…}`: the server's handshake.
    Open(Handshake),
    /// `1`: the server closes the session.
    Close,
    /// `2`: the server's heartbeat, to answer with a pong.
    Ping,
    /// `3`: a pong (servers do not send them to websocket clients in v4).
    Pong,
    /// `4…`: a message, which carries a Socket.IO packet.
    Message(&'a str),
    /// `5` (upgrade) or `6` (noop): nothing to do on a websocket.
    Noop,
}

/// The handshake of an Engine.IO session: its id and its heartbeat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Handshake {
    /// The session id the server gave.
    pub(crate) sid: String,
    /// How often the server pings.
    pub(crate) ping_interval: Duration,
    /// How long after a missed ping the session counts as lost.
    pub(crate) ping_timeout: Duration,
}

/// The shortest and longest heartbeat the client accepts from a server: a zero interval
/// would drop every session at once, an enormous one would never notice a dead one.
const HEARTBEAT_BOUNDS: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(300));

impl Handshake {
    /// How long the client waits for the next frame before it counts the session as lost:
    /// the ping interval plus the ping timeout, as Engine.IO clients do.
    pub(crate) fn silence_limit(&self) -> Duration {
        self.ping_interval + self.ping_timeout
    }
}

/// The JSON of the open packet.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenJson {
    sid: String,
    ping_interval: u64,
    ping_timeout: u64,
}

/// Parses one text frame as an Engine.IO packet.
pub(crate) fn parse_engine(frame: &str) -> Result<EnginePacket<'_>, PacketError> {
    let mut chars = frame.chars();
    let kind = chars.next().ok_or_else(|| error("an empty frame"))?;
    let rest = chars.as_str();
    match kind {
        '0' => {
            let open: OpenJson = serde_json::from_str(rest)
                .map_err(|e| error(format!("an open packet that is not a handshake: {e}")))?;
            let clamp = |millis: u64| {
                Duration::from_millis(millis).clamp(HEARTBEAT_BOUNDS.0, HEARTBEAT_BOUNDS.1)
            };
            Ok(EnginePacket::Open(Handshake {
                sid: open.sid,
                ping_interval: clamp(open.ping_interval),
                ping_timeout: clamp(open.ping_timeout),
            }))
        }
        '1' => Ok(EnginePacket::Close),
        '2' => Ok(EnginePacket::Ping),
        '3' => Ok(EnginePacket::Pong),
        '4' => Ok(EnginePacket::Message(rest)),
        '5' | '6' => Ok(EnginePacket::Noop),
        other => Err(error(format!(
            "an unknown Engine.IO packet type `{}`",
            other.escape_debug()
        ))),
    }
}

/// The Engine.IO pong that answers a ping.
pub(crate) const PONG: &str = "3";

/// The Socket.IO packet that connects the default namespace, in an Engine.IO message.
pub(crate) const CONNECT: &str = "40";

/// A Socket.IO v5 packet of the default namespace.
#[derive(Debug, PartialEq)]
pub(crate) enum SocketPacket {
    /// `0`: the namespace is connected.
    Connect,
    /// `1`: the server disconnected the namespace.
    Disconnect,
    /// `2`: an event with its name and its first argument (`null` when it has none).
    Event {
        /// The event name.
        name: String,
        /// Its first argument: Crisp sends one, the event's `data`.
        data: Value,
    },
    /// `4`: the server refused the connection, with its reason when it gave one.
    ConnectError(Option<String>),
    /// Acknowledgements, binary packets and packets of other namespaces: not for this
    /// client, which never asks for them.
    Ignored(&'static str),
}

/// Parses the payload of an Engine.IO message as a Socket.IO packet.
///
/// The layout is `<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]`.
pub(crate) fn parse_socket(text: &str) -> Result<SocketPacket, PacketError> {
    let mut rest = text;
    let kind = take_char(&mut rest).ok_or_else(|| error("an empty Socket.IO packet"))?;
    if matches!(kind, '5' | '6') {
        return Ok(SocketPacket::Ignored("a binary packet"));
    }
    let namespace = if rest.starts_with('/') {
        let (namespace, after) = rest.split_once(',').unwrap_or((rest, ""));
        rest = after;
        namespace
    } else {
        "/"
    };
    if namespace != "/" {
        return Ok(SocketPacket::Ignored("a packet of another namespace"));
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let has_ack_id = digits > 0;
    rest = &rest[digits..];
    match kind {
        '0' => Ok(SocketPacket::Connect),
        '1' => Ok(SocketPacket::Disconnect),
        '2' => {
            if has_ack_id {
                // The server asks for an acknowledgement this client never promised; the
                // event itself is still delivered.
                tracing::debug!(target: "crisp_runtime::rtm", "an event asking for an acknowledgement");
            }
            let args: Value = serde_json::from_str(rest)
                .map_err(|e| error(format!("an event whose arguments are not JSON: {e}")))?;
            let Value::Array(args) = args else {
                return Err(error("an event whose arguments are not a JSON array"));
            };
            let mut args = args.into_iter();
            let Some(Value::String(name)) = args.next() else {
                return Err(error("an event without a name"));
            };
            Ok(SocketPacket::Event {
                name,
                data: args.next().unwrap_or(Value::Null),
            })
        }
        '3' => Ok(SocketPacket::Ignored("an acknowledgement")),
        '4' => {
            let reason = serde_json::from_str::<Value>(rest)
                .ok()
                .and_then(|data| match data {
                    Value::String(message) => Some(message),
                    Value::Object(object) => object
                        .get("message")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    _ => None,
                });
            Ok(SocketPacket::ConnectError(reason))
        }
        other => Err(error(format!(
            "an unknown Socket.IO packet type `{}`",
            other.escape_debug()
        ))),
    }
}

/// Removes and returns the first character of `text`.
fn take_char(text: &mut &str) -> Option<char> {
    let mut chars = text.chars();
    let first = chars.next()?;
    *text = chars.as_str();
    Some(first)
}

/// An event of the default namespace, in an Engine.IO message: `42["name",data]`.
///
/// # Errors
///
/// When `data` cannot be represented as JSON (a map with non-string keys).
pub(crate) fn event<T: serde::Serialize>(
    name: &str,
    data: &T,
) -> Result<String, serde_json::Error> {
    Ok(format!("42{}", serde_json::to_string(&(name, data))?))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn engine_packets_parse() {
        let open = r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
        assert_eq!(
            parse_engine(open),
            Ok(EnginePacket::Open(Handshake {
                sid: "abc".to_owned(),
                ping_interval: Duration::from_secs(25),
                ping_timeout: Duration::from_secs(20),
            }))
        );
        let cases: &[(&str, EnginePacket<'_>)] = &[
            ("1", EnginePacket::Close),
            ("2", EnginePacket::Ping),
            ("2probe", EnginePacket::Ping),
            ("3", EnginePacket::Pong),
            ("42[\"a\"]", EnginePacket::Message("2[\"a\"]")),
            ("4", EnginePacket::Message("")),
            ("5", EnginePacket::Noop),
            ("6", EnginePacket::Noop),
        ];
        for (frame, expected) in cases {
            assert_eq!(parse_engine(frame).as_ref(), Ok(expected), "{frame}");
        }
    }

    #[test]
    fn a_heartbeat_out_of_bounds_is_clamped() {
        let Ok(EnginePacket::Open(handshake)) =
            parse_engine(r#"0{"sid":"s","pingInterval":0,"pingTimeout":99999999999}"#)
        else {
            panic!("an open packet");
        };
        assert_eq!(handshake.ping_interval, Duration::from_secs(1));
        assert_eq!(handshake.ping_timeout, Duration::from_secs(300));
        assert_eq!(handshake.silence_limit(), Duration::from_secs(301));
    }

    #[test]
    fn malformed_engine_frames_are_errors() {
        for frame in [
            "",
            "9",
            "x",
            "0",
            "0{}",
            "0not json",
            r#"0{"sid":1,"pingInterval":1,"pingTimeout":1}"#,
            "é",
        ] {
            assert!(parse_engine(frame).is_err(), "{frame:?}");
        }
    }

    #[test]
    fn socket_packets_parse() {
        let cases: Vec<(&str, SocketPacket)> = vec![
            ("0", SocketPacket::Connect),
            (r#"0{"sid":"xyz"}"#, SocketPacket::Connect),
            ("1", SocketPacket::Disconnect),
            (
                r#"2["message:send",{"a":1}]"#,
                SocketPacket::Event {
                    name: "message:send".to_owned(),
                    data: json!({"a": 1}),
                },
            ),
            (
                r#"2["authenticated",true]"#,
                SocketPacket::Event {
                    name: "authenticated".to_owned(),
                    data: json!(true),
                },
            ),
            (
                r#"2["bare"]"#,
                SocketPacket::Event {
                    name: "bare".to_owned(),
                    data: Value::Null,
                },
            ),
            (
                r#"2["two",1,2]"#,
                SocketPacket::Event {
                    name: "two".to_owned(),
                    data: json!(1),
                },
            ),
            (
                r#"2/,["slash",null]"#,
                SocketPacket::Event {
                    name: "slash".to_owned(),
                    data: Value::Null,
                },
            ),
            (
                r#"212["acked",{}]"#,
                SocketPacket::Event {
                    name: "acked".to_owned(),
                    data: json!({}),
                },
            ),
            (
                r#"4{"message":"Not authorized"}"#,
                SocketPacket::ConnectError(Some("Not authorized".to_owned())),
            ),
            (
                r#"4"plain""#,
                SocketPacket::ConnectError(Some("plain".to_owned())),
            ),
            ("4", SocketPacket::ConnectError(None)),
            ("3[1]", SocketPacket::Ignored("an acknowledgement")),
            (
                r#"51-["file",{"_placeholder":true,"num":0}]"#,
                SocketPacket::Ignored("a binary packet"),
            ),
            (
                r#"2/admin,["x",1]"#,
                SocketPacket::Ignored("a packet of another namespace"),
            ),
            (
                "0/admin,",
                SocketPacket::Ignored("a packet of another namespace"),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_socket(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn malformed_socket_packets_are_errors() {
        for text in [
            "",
            "7",
            "2",
            "2[",
            "2{}",
            "2[1,2]",
            "2[]",
            "2\"name\"",
            "2[null]",
            "x",
        ] {
            assert!(parse_socket(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn events_encode_as_the_reference_client_does() {
        let data = json!({"username": "id", "events": ["message:send"]});
        assert_eq!(
            event("authentication", &data).expect("JSON"),
            r#"42["authentication",{"events":["message:send"],"username":"id"}]"#
        );
        let frame = event("x", &json!([1])).expect("JSON");
        let Ok(EnginePacket::Message(inner)) = parse_engine(&frame) else {
            panic!("a message")
        };
        assert_eq!(
            parse_socket(inner),
            Ok(SocketPacket::Event {
                name: "x".to_owned(),
                data: json!([1])
            })
        );
    }
}
