//! The events the stateful sandbox records as its state changes, to deliver as web hooks.
//!
//! Each payload follows the real-time event of the same name (the `data` of a Crisp web
//! hook): a conversation event carries `website_id`, `session_id` and `inbox_id` (`null`
//! when the conversation is in no inbox) and its own fields.

use crisp_server::models::Conversation;
use serde_json::{Value, json};

use crate::webhooks::Event;

/// The events one change recorded, in the order they happened.
#[derive(Debug, Default)]
pub(crate) struct Events(Vec<Event>);

impl Events {
    /// Records the event `name` of `website_id` with its payload `data`.
    pub(crate) fn record(
        &mut self,
        website_id: &str,
        name: &'static str,
        data: Value,
        timestamp: u64,
    ) {
        self.0.push(Event {
            website_id: website_id.to_owned(),
            name,
            data,
            timestamp,
        });
    }

    /// Records the event `name` of `conversation`: `{website_id, session_id, inbox_id}` and
    /// the fields of `fields` (an object).
    pub(crate) fn session(
        &mut self,
        conversation: &Conversation,
        name: &'static str,
        fields: Value,
        timestamp: u64,
    ) {
        let mut data = json!({
            "website_id": conversation.website_id,
            "session_id": conversation.session_id,
            "inbox_id": conversation.inbox_id,
        });
        if let (Value::Object(data), Value::Object(fields)) = (&mut data, fields) {
            data.extend(fields);
        }
        self.record(&conversation.website_id, name, data, timestamp);
    }

    /// The recorded events, oldest first.
    pub(crate) fn into_inner(self) -> Vec<Event> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_events_carry_the_conversation_ids() {
        let conversation: Conversation = serde_json::from_value(json!({
            "session_id": "session_1",
            "website_id": "website_1",
        }))
        .expect("a conversation");
        let mut events = Events::default();
        events.session(
            &conversation,
            "session:set_state",
            json!({"state": "resolved"}),
            42,
        );
        let events = events.into_inner();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].website_id, "website_1");
        assert_eq!(events[0].timestamp, 42);
        assert_eq!(
            events[0].data,
            json!({"website_id": "website_1", "session_id": "session_1", "inbox_id": null, "state": "resolved"})
        );
    }
}
