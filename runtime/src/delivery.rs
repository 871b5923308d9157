//! [`Delivery`]: the body Crisp posts to a web hook, generic over the event type the models
//! crate generates, which decodes any named event without refusing it ([`DecodeEvent`]).

use serde::de::Deserializer;
use serde::ser::{SerializeMap as _, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event type that decodes every named event, and writes its payload back.
///
/// The generated `crisp_models::Event` implements it: a known event decodes into its typed
/// variant, one whose payload does not fit into a variant that keeps the JSON and the reason,
/// and an unknown name into a variant that keeps both, so decoding never fails.
pub trait DecodeEvent: Sized {
    /// Decodes the event `event` with its payload `data`.
    fn decode(event: String, data: Value) -> Self;

    /// The event's name on the wire (`message:send`).
    fn name(&self) -> &str;

    /// Writes the event's payload, the `data` of its delivery.
    ///
    /// # Errors
    ///
    /// Those of the serializer.
    fn serialize_data<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
}

/// The body Crisp posts to a web hook: `{"website_id", "event", "data", "timestamp"}`.
///
/// Decoding never refuses a well-formed delivery: the event is decoded with
/// [`DecodeEvent::decode`], which keeps what does not fit; only a body that is not a delivery
/// at all (no `event` string or no `data`) is an error. Encoding writes the same shape back,
/// leaving out `website_id` and `timestamp` when they are `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery<E> {
    /// The website the event belongs to. Crisp sends it, but the official clients do not
    /// require it.
    pub website_id: Option<String>,
    /// The event: its name (`event` on the wire) and its payload (`data`).
    pub event: E,
    /// When the event happened, in milliseconds since the Unix epoch. Crisp sends it, but the
    /// official clients do not require it.
    pub timestamp: Option<u64>,
}

/// A delivery as it travels, before the event name picks the payload type.
#[derive(Deserialize)]
struct RawDelivery {
    #[serde(default)]
    website_id: Option<String>,
    event: String,
    data: Value,
    #[serde(default)]
    timestamp: Option<u64>,
}

impl<'de, E: DecodeEvent> Deserialize<'de> for Delivery<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let RawDelivery {
            website_id,
            event,
            data,
            timestamp,
        } = RawDelivery::deserialize(deserializer)?;
        Ok(Delivery {
            website_id,
            event: E::decode(event, data),
            timestamp,
        })
    }
}

/// The payload of an event, serialized through [`DecodeEvent::serialize_data`].
struct Data<'a, E>(&'a E);

impl<E: DecodeEvent> Serialize for Data<'_, E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_data(serializer)
    }
}

impl<E: DecodeEvent> Serialize for Delivery<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(website_id) = &self.website_id {
            map.serialize_entry("website_id", website_id)?;
        }
        map.serialize_entry("event", self.event.name())?;
        map.serialize_entry("data", &Data(&self.event))?;
        if let Some(timestamp) = &self.timestamp {
            map.serialize_entry("timestamp", timestamp)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// An event type as the generator writes one: a typed event, and a fallback.
    #[derive(Debug, PartialEq)]
    enum Fake {
        Ping { at: u64 },
        Other { event: String, data: Value },
    }

    impl DecodeEvent for Fake {
        fn decode(event: String, data: Value) -> Self {
            match (event.as_str(), data.get("at").and_then(Value::as_u64)) {
                ("ping", Some(at)) => Fake::Ping { at },
                _ => Fake::Other { event, data },
            }
        }

        fn name(&self) -> &str {
            match self {
                Fake::Ping { .. } => "ping",
                Fake::Other { event, .. } => event,
            }
        }

        fn serialize_data<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            match self {
                Fake::Ping { at } => json!({ "at": at }).serialize(serializer),
                Fake::Other { data, .. } => data.serialize(serializer),
            }
        }
    }

    #[test]
    fn a_delivery_decodes_its_event_by_name() {
        let body = json!({"website_id": "w", "event": "ping", "data": {"at": 3}, "timestamp": 9});
        let delivery: Delivery<Fake> = serde_json::from_value(body).expect("a delivery");
        assert_eq!(
            delivery,
            Delivery {
                website_id: Some("w".to_owned()),
                event: Fake::Ping { at: 3 },
                timestamp: Some(9),
            }
        );
    }

    #[test]
    fn an_event_that_does_not_fit_is_kept_not_refused() {
        let body = json!({"event": "ping", "data": {"at": "soon"}});
        let delivery: Delivery<Fake> = serde_json::from_value(body).expect("a delivery");
        assert_eq!(delivery.website_id, None);
        assert_eq!(delivery.timestamp, None);
        assert_eq!(
            delivery.event,
            Fake::Other {
                event: "ping".to_owned(),
                data: json!({"at": "soon"}),
            }
        );
    }

    #[test]
    fn a_body_that_is_not_a_delivery_is_an_error() {
        for body in [
            json!({"data": {}}),
            json!({"event": 1, "data": {}}),
            json!({"event": "ping"}),
            json!([1, 2]),
        ] {
            let decoded = serde_json::from_value::<Delivery<Fake>>(body.clone());
            assert!(decoded.is_err(), "{body} decoded");
        }
    }

    #[test]
    fn encoding_writes_the_same_shape_back() {
        let full = json!({"website_id": "w", "event": "ping", "data": {"at": 3}, "timestamp": 9});
        let delivery: Delivery<Fake> = serde_json::from_value(full.clone()).expect("a delivery");
        assert_eq!(serde_json::to_value(&delivery).expect("encodes"), full);
        let bare = json!({"event": "x:y", "data": [1]});
        let delivery: Delivery<Fake> = serde_json::from_value(bare.clone()).expect("a delivery");
        assert_eq!(serde_json::to_value(&delivery).expect("encodes"), bare);
    }
}
