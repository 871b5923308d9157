//! State kept across calls: a conversation created, messaged, read and removed, and its messages
//! read back typed, by time window and by fingerprint.

use std::collections::BTreeMap;

use crisp_models::{
    ConversationMessageMark, ConversationMessageNew, ConversationState, CustomDataValue,
    GetMessagesInConversationOptions, MessageContent, MessageFrom, MessageType,
    UpdateConversationOpenStateBody,
};
use serde_json::{Value, json};

use super::fake::Call;
use super::harness::{assert_api_error, start};
use super::seed::{file_message, invoice, text_message, unread};
use super::{BIG_FINGERPRINT, WEBSITE};

#[tokio::test]
async fn created_conversation_is_used_then_removed() {
    let harness = start().await;
    let conversations = harness.conversations();

    let created = conversations
        .create_new_conversation(WEBSITE)
        .await
        .unwrap();
    let session = created.session_id.expect("a session id");
    assert_eq!(
        harness.last_call(),
        Call::CreateNewConversation {
            website_id: WEBSITE.to_owned()
        }
    );
    assert_eq!(harness.last_request().method, "POST");

    assert!(
        conversations
            .check_conversation_exists(WEBSITE, &session)
            .await
            .unwrap()
    );
    let found = conversations
        .get_conversation(WEBSITE, &session)
        .await
        .unwrap();
    assert_eq!(found.session_id, session);
    assert_eq!(found.state, Some(ConversationState::Pending));
    assert_eq!(found.created_at, Some(5_000));
    let message = ConversationMessageNew::Text(text_message("Welcome!", 10));
    conversations
        .send_message_in_conversation(WEBSITE, &session, &message)
        .await
        .unwrap();
    assert_eq!(harness.state().messages[&session].len(), 1);

    conversations
        .remove_conversation(WEBSITE, &session)
        .await
        .unwrap();
    assert_eq!(
        harness.last_call(),
        Call::RemoveConversation {
            session_id: session.clone()
        }
    );
    assert_eq!(harness.last_request().method, "DELETE");
    assert!(!harness.state().messages.contains_key(&session));
    assert!(
        !conversations
            .check_conversation_exists(WEBSITE, &session)
            .await
            .unwrap()
    );
    let error = conversations
        .remove_conversation(WEBSITE, &session)
        .await
        .unwrap_err();
    assert_api_error(&error, 404, "not_found");

    // Creating on an unknown website is a 404 from the implementation.
    let error = conversations
        .create_new_conversation("website-x")
        .await
        .unwrap_err();
    assert_api_error(&error, 404, "not_found");
    assert_eq!(error.message(), Some("website `website-x` does not exist"));
}

#[tokio::test]
async fn messages_are_sent_stored_and_read_back_typed() {
    let harness = start().await;
    let conversations = harness.conversations();
    let session = "session_alpha";

    let mut text = text_message("Hello **there**", 1_000);
    text.properties = Some(BTreeMap::from([
        ("lang".to_owned(), CustomDataValue::String("en".to_owned())),
        ("priority".to_owned(), CustomDataValue::Number(2.5)),
    ]));
    text.stealth = Some(true);
    let text = ConversationMessageNew::Text(text);
    let file = ConversationMessageNew::File(file_message(2_000));
    let later = ConversationMessageNew::Text(text_message("Anything else?", 3_000));

    let sent_text = conversations
        .send_message_in_conversation(WEBSITE, session, &text)
        .await
        .unwrap();
    let sent_file = conversations
        .send_message_in_conversation(WEBSITE, session, &file)
        .await
        .unwrap();
    conversations
        .send_message_in_conversation(WEBSITE, session, &later)
        .await
        .unwrap();
    assert_eq!(sent_file.fingerprint, Some(BIG_FINGERPRINT));
    let text_fingerprint = sent_text.fingerprint.expect("a generated fingerprint");

    // The server decoded the tagged union into the right variants, field for field.
    let received: Vec<ConversationMessageNew> = harness
        .calls()
        .into_iter()
        .filter_map(|call| match call {
            Call::SendMessage { body, .. } => Some(body),
            _ => None,
        })
        .collect();
    assert_eq!(received, [text.clone(), file.clone(), later]);
    let ConversationMessageNew::File(received_file) = &received[1] else {
        panic!("not a file message: {:?}", received[1]);
    };
    assert_eq!(received_file.content, invoice());
    assert_eq!(received_file.origin, "email");
    // `type` is on the wire next to the other fields.
    let wire: Value = serde_json::from_str(&harness.state().requests[0].body).unwrap();
    assert_eq!(wire["type"], json!("text"));
    assert_eq!(wire["content"], json!("Hello **there**"));
    assert_eq!(wire["stealth"], json!(true));

    // Older than 2.5 s: the first two, oldest first, with `content` decoded per shape.
    let mut before = GetMessagesInConversationOptions::default();
    before.timestamp_before = Some(2_500);
    let older = conversations
        .get_messages_in_conversation(WEBSITE, session, &before)
        .await
        .unwrap();
    assert_eq!(
        harness.last_call(),
        Call::GetMessages {
            session_id: session.to_owned(),
            options: before,
        }
    );
    assert!(
        harness
            .last_request()
            .uri
            .ends_with("/messages?timestamp_before=2500")
    );
    assert_eq!(older.len(), 2);
    let (first, second) = (&older[0], &older[1]);
    assert_eq!(first.r#type, Some(MessageType::Text));
    assert_eq!(first.from, Some(MessageFrom::Operator));
    assert_eq!(
        first.content,
        Some(MessageContent::String("Hello **there**".to_owned()))
    );
    assert_eq!(first.fingerprint, Some(text_fingerprint));
    assert_eq!(first.timestamp, Some(1_000));
    assert_eq!(
        first
            .user
            .as_ref()
            .and_then(|user| user.nickname.as_deref()),
        Some("Ada from support")
    );
    assert_eq!(
        first
            .properties
            .as_ref()
            .and_then(|properties| properties.get("priority")),
        Some(&CustomDataValue::Number(2.5))
    );
    assert_eq!(first.session_id.as_deref(), Some(session));
    assert_eq!(second.r#type, Some(MessageType::File));
    assert_eq!(second.from, Some(MessageFrom::User));
    assert_eq!(second.origin.as_deref(), Some("email"));
    assert_eq!(
        second.content,
        Some(MessageContent::MessageContentFile(invoice()))
    );
    assert_eq!(second.fingerprint, Some(BIG_FINGERPRINT));

    // Without a window, the whole history.
    let all = conversations
        .get_messages_in_conversation(
            WEBSITE,
            session,
            &GetMessagesInConversationOptions::default(),
        )
        .await
        .unwrap();
    let stamps: Vec<Option<u64>> = all.iter().map(|message| message.timestamp).collect();
    assert_eq!(stamps, [Some(1_000), Some(2_000), Some(3_000)]);
    assert!(harness.last_request().uri.ends_with("/messages"));
}

#[tokio::test]
async fn get_message_by_fingerprint() {
    let harness = start().await;
    let conversations = harness.conversations();
    let file = ConversationMessageNew::File(file_message(2_000));
    conversations
        .send_message_in_conversation(WEBSITE, "session_gamma", &file)
        .await
        .unwrap();

    let message = conversations
        .get_message_in_conversation(WEBSITE, "session_gamma", BIG_FINGERPRINT)
        .await
        .unwrap();
    assert_eq!(
        harness.last_call(),
        Call::GetMessage {
            session_id: "session_gamma".to_owned(),
            fingerprint: BIG_FINGERPRINT
        }
    );
    assert_eq!(message.fingerprint, Some(BIG_FINGERPRINT));
    assert_eq!(message.r#type, Some(MessageType::File));
    let Some(MessageContent::MessageContentFile(content)) = message.content else {
        panic!("not a file: {:?}", message.content);
    };
    assert_eq!(content.name, "invoice 42.pdf");
    assert_eq!(content.r#type, "application/pdf");

    // Negative fingerprints are valid path integers.
    let error = conversations
        .get_message_in_conversation(WEBSITE, "session_gamma", -7)
        .await
        .unwrap_err();
    assert_api_error(&error, 404, "not_found");
    assert_eq!(error.message(), Some("no message with fingerprint -7"));
    assert_eq!(
        harness.last_call(),
        Call::GetMessage {
            session_id: "session_gamma".to_owned(),
            fingerprint: -7
        }
    );
}

#[tokio::test]
async fn mark_read_and_open_state_reach_the_server() {
    let harness = start().await;
    let conversations = harness.conversations();
    let session = "session_alpha";
    let mut visitor = text_message("Hi", 100);
    visitor.from = MessageFrom::User;
    visitor.user = None;
    let first = conversations
        .send_message_in_conversation(
            WEBSITE,
            session,
            &ConversationMessageNew::Text(visitor.clone()),
        )
        .await
        .unwrap()
        .fingerprint
        .expect("fingerprint");
    let mut later = visitor;
    later.timestamp = Some(200);
    let second = conversations
        .send_message_in_conversation(WEBSITE, session, &ConversationMessageNew::Text(later))
        .await
        .unwrap()
        .fingerprint
        .expect("fingerprint");

    let mut mark = ConversationMessageMark::default();
    mark.from = Some(MessageFrom::Operator);
    mark.origin = Some("urn:crisp.im:slack:0".to_owned());
    mark.fingerprints = Some(vec![first]);
    conversations
        .mark_messages_read_in_conversation(WEBSITE, session, &mark)
        .await
        .unwrap();
    assert_eq!(
        harness.last_call(),
        Call::MarkRead {
            session_id: session.to_owned(),
            body: mark
        }
    );
    let read = conversations
        .get_message_in_conversation(WEBSITE, session, first)
        .await
        .unwrap();
    assert_eq!(read.read.as_deref(), Some("urn:crisp.im:slack:0"));
    let unread_message = conversations
        .get_message_in_conversation(WEBSITE, session, second)
        .await
        .unwrap();
    assert_eq!(unread_message.read, None);

    // Left out fingerprints mean "all pending messages".
    let mut all = ConversationMessageMark::default();
    all.from = Some(MessageFrom::Operator);
    conversations
        .mark_messages_read_in_conversation(WEBSITE, session, &all)
        .await
        .unwrap();
    assert_eq!(harness.last_request().body, r#"{"from":"operator"}"#);
    let unread_message = conversations
        .get_message_in_conversation(WEBSITE, session, second)
        .await
        .unwrap();
    assert_eq!(unread_message.read.as_deref(), Some("chat"));
    let found = conversations
        .get_conversation(WEBSITE, session)
        .await
        .unwrap();
    assert_eq!(found.unread, unread(0));

    for opened in [true, false] {
        let body = UpdateConversationOpenStateBody::new(opened);
        conversations
            .update_conversation_open_state(WEBSITE, session, &body)
            .await
            .unwrap();
        assert_eq!(
            harness.last_call(),
            Call::UpdateOpenState {
                session_id: session.to_owned(),
                body
            }
        );
        assert_eq!(harness.state().open.get(session), Some(&opened));
    }
}
