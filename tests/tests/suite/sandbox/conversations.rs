//! A conversation through its life in the stateful sandbox: created, messaged, read, listed,
//! given metas and an operator, resolved and removed. Each test makes the state its behaviour
//! needs through the client and reads the outcome back through the client.

use crisp_client::WebsiteConversation;
use crisp_client::tier::Dynamic;
use crisp_models::{
    AssignConversationRoutingBody, ChangeConversationStateBody, Conversation, ConversationAssigned,
    ConversationMessageMark, ConversationMeta, ConversationState, CustomDataValue,
    GetMessagesInConversationOptions, ListConversationsOptions, ListConversationsSearchQuery,
    MessageContent, MessageFrom, Patch, UpdateMessageInConversationBody,
};
use crisp_sandbox::Mode;
use crisp_sandbox::state::{SEED_OPERATOR_ID, SEED_WEBSITE_ID};

use super::harness::{Running, config, failure, text_message};

/// The website every conversation here belongs to.
const WEBSITE: &str = SEED_WEBSITE_ID;

/// Creates a conversation and returns its session id.
async fn create(conversations: &WebsiteConversation<'_, Dynamic>) -> String {
    conversations
        .create_new_conversation(WEBSITE)
        .await
        .expect("create a conversation")
        .session_id
        .expect("a session id")
}

/// Sends `text` from `from` (`user` or `operator`) and returns the message's fingerprint.
async fn send(
    conversations: &WebsiteConversation<'_, Dynamic>,
    session: &str,
    from: &str,
    text: &str,
) -> i64 {
    conversations
        .send_message_in_conversation(WEBSITE, session, &text_message(from, text))
        .await
        .expect("send a message")
        .fingerprint
        .expect("a fingerprint")
}

/// Options of `listConversations`, the defaults changed by `set`.
fn list_options(set: impl FnOnce(&mut ListConversationsOptions)) -> ListConversationsOptions {
    let mut options = ListConversationsOptions::default();
    set(&mut options);
    options
}

/// Reads a conversation.
async fn get(conversations: &WebsiteConversation<'_, Dynamic>, session: &str) -> Conversation {
    conversations
        .get_conversation(WEBSITE, session)
        .await
        .expect("get the conversation")
}

/// The session ids of a page of conversations, in order.
fn sessions(page: &[Conversation]) -> Vec<&str> {
    page.iter()
        .map(|conversation| conversation.session_id.as_str())
        .collect()
}

/// Marks every message the visitor sent as read by the operator.
async fn mark_read_by_the_operator(
    conversations: &WebsiteConversation<'_, Dynamic>,
    session: &str,
) {
    let mut mark = ConversationMessageMark::default();
    mark.from = Some(MessageFrom::Operator);
    mark.origin = Some("urn:crisp.im:sandbox-test:0".to_owned());
    conversations
        .mark_messages_read_in_conversation(WEBSITE, session, &mark)
        .await
        .expect("mark read");
}

/// Gives the conversation John Doe's metas, in two updates: the second adds a phone number
/// and a custom data key without repeating the first.
async fn give_john_does_metas(conversations: &WebsiteConversation<'_, Dynamic>, session: &str) {
    let mut first = ConversationMeta::default();
    first.nickname = Some("John Doe".to_owned());
    first.email = Some("john.doe@example.com".to_owned());
    first.segments = Some(vec!["customer".to_owned()]);
    first.data = Some(
        [(
            "plan".to_owned(),
            CustomDataValue::String("premium".to_owned()),
        )]
        .into(),
    );
    conversations
        .update_conversation_metas(WEBSITE, session, &first)
        .await
        .expect("update the metas");
    let mut second = ConversationMeta::default();
    second.phone = Some("+33612345678".to_owned());
    second.data = Some([("seats".to_owned(), CustomDataValue::Number(12.0))].into());
    conversations
        .update_conversation_metas(WEBSITE, session, &second)
        .await
        .expect("update them again");
}

/// Assigns the conversation to the seeded operator.
async fn assign_to_the_seeded_operator(
    conversations: &WebsiteConversation<'_, Dynamic>,
    session: &str,
) {
    let mut operator = ConversationAssigned::default();
    operator.user_id = Some(SEED_OPERATOR_ID.to_owned());
    let mut assign = AssignConversationRoutingBody::default();
    assign.assigned = Patch::Value(operator);
    conversations
        .assign_conversation_routing(WEBSITE, session, &assign)
        .await
        .expect("assign");
}

/// Resolves the conversation.
async fn resolve(conversations: &WebsiteConversation<'_, Dynamic>, session: &str) {
    conversations
        .change_conversation_state(
            WEBSITE,
            session,
            &ChangeConversationStateBody::new(ConversationState::Resolved),
        )
        .await
        .expect("resolve");
}

#[tokio::test]
async fn a_new_conversation_is_pending_and_listed_only_with_include_empty() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();

    // Created, with a `session_<uuid>` id, pending and empty.
    let session = create(&conversations).await;
    assert!(session.starts_with("session_"), "{session}");
    assert!(
        conversations
            .check_conversation_exists(WEBSITE, &session)
            .await
            .expect("HEAD")
    );
    let fresh = get(&conversations, &session).await;
    assert_eq!(fresh.session_id, session);
    assert_eq!(fresh.state, Some(ConversationState::Pending));
    // An empty conversation is listed only with `include_empty`.
    let listed = conversations
        .list_conversations(WEBSITE, 1, &ListConversationsOptions::default())
        .await
        .expect("list");
    assert!(listed.is_empty(), "{listed:?}");
    let with_empty = list_options(|options| options.include_empty = Some(true));
    let listed = conversations
        .list_conversations(WEBSITE, 1, &with_empty)
        .await
        .expect("list");
    assert_eq!(sessions(&listed), [session.as_str()]);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_conversation_needs_a_known_website() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let unknown_website = sandbox
        .plugin()
        .website_conversation()
        .create_new_conversation("no-such-website")
        .await
        .expect_err("no website");
    assert_eq!(failure(&unknown_website), (404, "not_found"));
    sandbox.stop().await;
}

#[tokio::test]
async fn a_visitor_message_waits_and_an_operator_reply_takes_it_out_of_pending() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();
    let session = create(&conversations).await;

    let first = send(
        &conversations,
        &session,
        "user",
        "Hello, where is my invoice?",
    )
    .await;
    let after_first = get(&conversations, &session).await;
    assert_eq!(
        after_first.unread.and_then(|unread| unread.operator),
        Some(1)
    );
    assert!(after_first.waiting_since.is_some());
    assert_eq!(
        after_first.state,
        Some(ConversationState::Pending),
        "a visitor's message leaves it pending"
    );

    let second = send(&conversations, &session, "operator", "Sent it just now.").await;
    assert_ne!(first, second);
    let conversation = get(&conversations, &session).await;
    assert_eq!(
        conversation.last_message.as_deref(),
        Some("Sent it just now.")
    );
    assert_eq!(
        conversation.state,
        Some(ConversationState::Unresolved),
        "a reply takes it out of pending"
    );
    assert_eq!(conversation.waiting_since, None);
    let preview = conversation.preview_message.expect("a preview");
    assert_eq!(preview.fingerprint, Some(second));
    assert_eq!(preview.from, Some(MessageFrom::Operator));
    sandbox.stop().await;
}

#[tokio::test]
async fn messages_come_oldest_first_and_page_back_with_timestamp_before() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();
    let session = create(&conversations).await;
    let first = send(
        &conversations,
        &session,
        "user",
        "Hello, where is my invoice?",
    )
    .await;
    let second = send(&conversations, &session, "operator", "Sent it just now.").await;

    let messages = conversations
        .get_messages_in_conversation(
            WEBSITE,
            &session,
            &GetMessagesInConversationOptions::default(),
        )
        .await
        .expect("the messages");
    let fingerprints: Vec<Option<i64>> =
        messages.iter().map(|message| message.fingerprint).collect();
    assert_eq!(fingerprints, [Some(first), Some(second)]);
    assert_eq!(
        messages[0].content,
        Some(MessageContent::String(
            "Hello, where is my invoice?".to_owned()
        ))
    );
    assert_eq!(messages[0].session_id.as_deref(), Some(session.as_str()));

    let mut before_second = GetMessagesInConversationOptions::default();
    before_second.timestamp_before = messages[1].timestamp;
    let older = conversations
        .get_messages_in_conversation(WEBSITE, &session, &before_second)
        .await
        .expect("older messages");
    assert_eq!(
        older
            .iter()
            .map(|message| message.fingerprint)
            .collect::<Vec<_>>(),
        [Some(first)]
    );
    let mut before_first = GetMessagesInConversationOptions::default();
    before_first.timestamp_before = messages[0].timestamp;
    let none = conversations
        .get_messages_in_conversation(WEBSITE, &session, &before_first)
        .await
        .expect("no older messages");
    assert!(none.is_empty(), "{none:?}");
    sandbox.stop().await;
}

#[tokio::test]
async fn a_message_is_read_back_by_fingerprint_and_edited() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();
    let session = create(&conversations).await;
    let first = send(
        &conversations,
        &session,
        "user",
        "Hello, where is my invoice?",
    )
    .await;

    conversations
        .update_message_in_conversation(
            WEBSITE,
            &session,
            first,
            &UpdateMessageInConversationBody::new(MessageContent::String(
                "Hello, where is my March invoice?".to_owned(),
            )),
        )
        .await
        .expect("edit the first message");
    let edited = conversations
        .get_message_in_conversation(WEBSITE, &session, first)
        .await
        .expect("the first message");
    assert_eq!(
        edited.content,
        Some(MessageContent::String(
            "Hello, where is my March invoice?".to_owned()
        ))
    );
    assert_eq!(edited.edited, Some(true));
    assert_eq!(edited.from, Some(MessageFrom::User));

    let missing = conversations
        .get_message_in_conversation(WEBSITE, &session, 1)
        .await
        .expect_err("no such fingerprint");
    assert_eq!(failure(&missing), (404, "not_found"));
    sandbox.stop().await;
}

#[tokio::test]
async fn marking_messages_read_clears_the_operators_unread_count() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();
    let session = create(&conversations).await;
    send(
        &conversations,
        &session,
        "user",
        "Hello, where is my invoice?",
    )
    .await;
    let unread = get(&conversations, &session).await.unread;
    assert_eq!(unread.and_then(|unread| unread.operator), Some(1));

    mark_read_by_the_operator(&conversations, &session).await;
    let read = get(&conversations, &session).await;
    assert_eq!(read.unread.and_then(|unread| unread.operator), Some(0));
    sandbox.stop().await;
}

#[tokio::test]
async fn conversations_are_listed_most_recent_first_and_paged() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();
    let session = create(&conversations).await;
    send(
        &conversations,
        &session,
        "user",
        "Hello, where is my invoice?",
    )
    .await;
    let other = create(&conversations).await;
    send(&conversations, &other, "user", "Do you ship to Canada?").await;

    let all = conversations
        .list_conversations(WEBSITE, 1, &ListConversationsOptions::default())
        .await
        .expect("list");
    assert_eq!(sessions(&all), [other.as_str(), session.as_str()]);
    let one_per_page = |page: u32| async move {
        let options = list_options(|options| options.per_page = Some(1));
        conversations
            .list_conversations(WEBSITE, page, &options)
            .await
            .expect("a page")
            .into_iter()
            .map(|conversation| conversation.session_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(one_per_page(1).await, [other.as_str()]);
    assert_eq!(one_per_page(2).await, [session.as_str()]);
    assert!(one_per_page(3).await.is_empty());
    let page_two = conversations
        .list_conversations(WEBSITE, 2, &ListConversationsOptions::default())
        .await
        .expect("page 2");
    assert!(page_two.is_empty(), "page 2 is past the end: {page_two:?}");
    sandbox.stop().await;
}

#[tokio::test]
async fn list_filters_and_searches_select_their_conversations() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();
    // `session`: read by the operator, John Doe's, assigned to the seeded operator, resolved.
    let session = create(&conversations).await;
    send(
        &conversations,
        &session,
        "user",
        "Hello, where is my invoice?",
    )
    .await;
    mark_read_by_the_operator(&conversations, &session).await;
    give_john_does_metas(&conversations, &session).await;
    assign_to_the_seeded_operator(&conversations, &session).await;
    resolve(&conversations, &session).await;
    // `other`: unread, about shipping to Canada, open.
    let other = create(&conversations).await;
    send(&conversations, &other, "user", "Do you ship to Canada?").await;

    let search = |text: &str| {
        list_options(|options| {
            options.search_query = Some(ListConversationsSearchQuery::String(text.to_owned()));
        })
    };
    // What the filter is, the options, and the conversations it must list.
    let cases = [
        (
            "unread by the operator",
            list_options(|options| options.filter_unread = Some(true)),
            vec![other.as_str()],
        ),
        (
            "a text search for a message, in another case",
            search("CANADA"),
            vec![other.as_str()],
        ),
        (
            "a text search that matches nothing",
            search("nothing like it"),
            vec![],
        ),
        (
            "a text search for part of the e-mail address in the metas",
            search("john.doe@"),
            vec![session.as_str()],
        ),
        (
            "assigned to the seeded operator",
            list_options(|options| options.filter_assigned = Some(SEED_OPERATOR_ID.to_owned())),
            vec![session.as_str()],
        ),
        (
            "resolved",
            list_options(|options| options.filter_resolved = Some(true)),
            vec![session.as_str()],
        ),
        (
            "not resolved",
            list_options(|options| options.filter_not_resolved = Some(true)),
            vec![other.as_str()],
        ),
    ];
    for (case, options, expected) in cases {
        let found = conversations
            .list_conversations(WEBSITE, 1, &options)
            .await
            .unwrap_or_else(|error| panic!("{case}: {error}"));
        assert_eq!(sessions(&found), expected, "{case}");
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn metas_updates_merge_field_by_field_and_data_key_by_key() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();
    let session = create(&conversations).await;

    give_john_does_metas(&conversations, &session).await;
    let meta = conversations
        .get_conversation_metas(WEBSITE, &session)
        .await
        .expect("the metas");
    assert_eq!(meta.nickname.as_deref(), Some("John Doe"));
    assert_eq!(meta.email.as_deref(), Some("john.doe@example.com"));
    assert_eq!(meta.phone.as_deref(), Some("+33612345678"));
    assert_eq!(meta.segments, Some(vec!["customer".to_owned()]));
    let data = meta.data.expect("custom data");
    assert_eq!(
        data.get("plan"),
        Some(&CustomDataValue::String("premium".to_owned()))
    );
    assert_eq!(data.get("seats"), Some(&CustomDataValue::Number(12.0)));
    sandbox.stop().await;
}

#[tokio::test]
async fn routing_assigns_a_conversation_to_an_operator() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();
    let session = create(&conversations).await;

    assign_to_the_seeded_operator(&conversations, &session).await;
    let routing = conversations
        .get_conversation_routing_assign(WEBSITE, &session)
        .await
        .expect("routing");
    assert_eq!(
        routing
            .assigned
            .and_then(|assigned| assigned.user_id)
            .as_deref(),
        Some(SEED_OPERATOR_ID)
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn a_resolved_conversation_says_so() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();
    let session = create(&conversations).await;
    send(
        &conversations,
        &session,
        "user",
        "Hello, where is my invoice?",
    )
    .await;

    resolve(&conversations, &session).await;
    let state = conversations
        .get_conversation_state(WEBSITE, &session)
        .await
        .expect("the state");
    assert_eq!(state.state, Some(ConversationState::Resolved));
    sandbox.stop().await;
}

#[tokio::test]
async fn a_removed_conversation_is_gone_from_every_route_and_the_state() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();
    let session = create(&conversations).await;
    send(
        &conversations,
        &session,
        "user",
        "Hello, where is my invoice?",
    )
    .await;
    let other = create(&conversations).await;

    conversations
        .remove_conversation(WEBSITE, &session)
        .await
        .expect("remove");
    assert!(
        !conversations
            .check_conversation_exists(WEBSITE, &session)
            .await
            .expect("HEAD")
    );
    // Each route that names the removed conversation, and what it answered.
    let refusals = [
        (
            "getConversation",
            conversations
                .get_conversation(WEBSITE, &session)
                .await
                .map(drop),
        ),
        (
            "getConversationState",
            conversations
                .get_conversation_state(WEBSITE, &session)
                .await
                .map(drop),
        ),
        (
            "removeConversation, a second time",
            conversations.remove_conversation(WEBSITE, &session).await,
        ),
    ];
    for (case, answer) in refusals {
        let gone = answer.expect_err(case);
        assert_eq!(failure(&gone), (404, "not_found"), "{case}");
        assert!(gone.is_not_found(), "{case}");
    }

    let state = sandbox.stop().await;
    let website = state.website(SEED_WEBSITE_ID).expect("the seeded website");
    assert_eq!(website.conversations.keys().collect::<Vec<_>>(), [&other]);
}
