//! The events the stateful sandbox records as its state changes, and [`Publish`], which hands
//! them to every way they leave the sandbox: web hooks and the real-time (RTM) API.
//!
//! Each payload follows the real-time event of the same name (the `data` of a Crisp web
//! hook): a conversation event carries `website_id`, `session_id` and `inbox_id` (`null`
//! when the conversation is in no inbox) and its own fields.

use crisp_server::models::Conversation;
use serde_json::{Value, json};

use crate::rtm::Hub;
use crate::webhooks::Webhooks;

/// One event, as the sandbox records it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Event {
    /// The website it happened on.
    pub(crate) website_id: String,
    /// Its name, such as `message:send`.
    pub(crate) name: &'static str,
    /// Its payload, as the real-time event of that name carries it.
    pub(crate) data: Value,
    /// When it happened, in milliseconds since the Unix epoch.
    pub(crate) timestamp: u64,
}

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

/// Where the recorded events go: web hook delivery and the RTM hub, each when the sandbox
/// has it. Cheap to clone (clones share both).
#[derive(Clone, Debug, Default)]
pub(crate) struct Publish {
    /// The web hook delivery, with `--webhook`.
    pub(crate) webhooks: Option<Webhooks>,
    /// The sockets of the real-time API, in stateful mode.
    pub(crate) rtm: Option<Hub>,
}

impl Publish {
    /// Hands `events` to the RTM sockets, then queues them for web hook delivery, in order.
    /// Neither waits: both only put the events in buffers that other tasks drain, so this
    /// may run under the store lock (which keeps the order of the changes).
    pub(crate) fn publish(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        if let Some(rtm) = &self.rtm {
            rtm.publish(&events);
        }
        if let Some(webhooks) = &self.webhooks {
            webhooks.publish(events);
        }
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
