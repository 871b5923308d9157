//! `crisp-sandbox` end to end: the generated client (or plain `reqwest`, when the wire itself
//! is under test) against a sandbox served on `127.0.0.1:0`.
//!
//! Each test runs its own sandbox through `crisp_sandbox::run`, the function the binary runs,
//! and stops it through the shutdown future, so the `--state` file is written exactly as on
//! Ctrl-C. State is carried across calls: what one call creates, the next one reads.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crisp_client::{Client, Credentials, Error, Tier};
use crisp_models::{
    AssignConversationRoutingBody, ChangeConversationStateBody, ConversationAssigned,
    ConversationMessageMark, ConversationMessageNew, ConversationMeta, ConversationState,
    CustomDataValue, GetMessagesInConversationOptions, ListCampaignsOptions,
    ListConversationsOptions, ListConversationsSearchQuery, ListPeopleProfilesOptions,
    MessageContent, MessageFrom, Patch, PeopleData, PeopleEvent, PeopleProfilePerson,
    PeopleProfileUpdate, PeopleSubscription, UpdateMessageInConversationBody,
};
use crisp_sandbox::state::{SEED_OPERATOR_ID, SEED_WEBSITE_ID};
use crisp_sandbox::{Config, Mode, State, Token};
use crisp_server::examples::Examples;
use crisp_server::{Caller, WebsiteBase, WebsiteCampaigns, WebsiteConversation, WebsiteOperator};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A plugin token holding every scope.
pub(crate) const PLUGIN: (&str, &str) = ("sandbox-plugin", "sandbox-plugin-key");
/// A user token.
pub(crate) const USER: (&str, &str) = ("sandbox-user", "sandbox-user-key");
/// A plugin token holding only `website:people:profiles`.
const SCOPED: (&str, &str) = ("sandbox-scoped", "sandbox-scoped-key");
/// The body limit of the sandboxes under test, small enough to exceed cheaply.
const BODY_LIMIT: usize = 4096;
/// The longest a sandbox may take to stop once told to.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The configuration of a test sandbox: the three tokens and a small body limit.
pub(crate) fn config(mode: Mode) -> Config {
    let tokens = [
        format!("plugin:{}:{}", PLUGIN.0, PLUGIN.1),
        format!("user:{}:{}", USER.0, USER.1),
        format!(
            "plugin:{}:{}:website:people:profiles=write",
            SCOPED.0, SCOPED.1
        ),
    ];
    Config {
        mode,
        tokens: tokens
            .iter()
            .map(|token| token.parse::<Token>().expect("a valid token"))
            .collect(),
        body_limit: BODY_LIMIT,
        state_file: None,
        webhooks: None,
        rtm_url: None,
    }
}

/// A sandbox running in the background.
pub(crate) struct Running {
    address: SocketAddr,
    base: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<State, crisp_sandbox::Error>>,
}

impl Running {
    /// Starts `config` on a free loopback port.
    pub(crate) async fn start(config: Config) -> Running {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        Running::serve(config, listener)
    }

    /// Starts `config` on `address`, e.g. the address of a sandbox just stopped; retries for
    /// a few seconds while the port is still taken.
    pub(crate) async fn start_at(config: Config, address: SocketAddr) -> Running {
        let mut attempts = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(address).await {
                Ok(listener) => break listener,
                Err(error) if attempts < 50 => {
                    attempts += 1;
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("cannot bind {address} again: {error}"),
            }
        };
        Running::serve(config, listener)
    }

    /// Runs `config` on `listener` in the background.
    fn serve(config: Config, listener: tokio::net::TcpListener) -> Running {
        let address = listener.local_addr().expect("the bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(crisp_sandbox::run(config, listener, async {
            let _ = stopped.await;
        }));
        Running {
            address,
            base: format!("http://{address}/v1"),
            stop,
            task,
        }
    }

    /// The address it listens on.
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// The base URL of its REST API (`http://127.0.0.1:PORT/v1`).
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// A client with the token `(identifier, key)` of `tier`.
    pub(crate) fn client(
        &self,
        tier: Tier,
        (identifier, key): (&str, &str),
    ) -> Client<crisp_client::tier::Dynamic> {
        crate::support::client(Credentials::new(identifier, key, tier), &self.base)
    }

    /// The plugin client holding every scope.
    pub(crate) fn plugin(&self) -> Client<crisp_client::tier::Dynamic> {
        self.client(Tier::Plugin, PLUGIN)
    }

    /// The user client.
    pub(crate) fn user(&self) -> Client<crisp_client::tier::Dynamic> {
        self.client(Tier::User, USER)
    }

    /// Stops the sandbox as Ctrl-C would, and returns the state it ended with (and saved).
    pub(crate) async fn stop(self) -> State {
        let _ = self.stop.send(());
        tokio::time::timeout(STOP_TIMEOUT, self.task)
            .await
            .expect("the sandbox stops in time")
            .expect("the sandbox task does not panic")
            .expect("the sandbox stops cleanly")
    }
}

/// A message from `from` with text `text`, as the client sends it.
pub(crate) fn text_message(from: &str, text: &str) -> ConversationMessageNew {
    serde_json::from_value(json!({"type": "text", "from": from, "origin": "chat", "content": text}))
        .expect("a text message")
}

/// The status and reason of a failed call.
fn failure(error: &Error) -> (u16, &str) {
    (
        error.status().map_or(0, |status| status.as_u16()),
        error.reason().map_or("", crisp_client::Reason::as_str),
    )
}

/// A caller for calling [`Examples`] directly.
fn example_caller() -> Caller {
    Caller::new("example", Tier::User)
}

#[tokio::test]
async fn a_conversation_lives_created_messaged_listed_resolved_and_removed() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();
    let website = SEED_WEBSITE_ID;

    // Created, with a `session_<uuid>` id, pending and empty.
    let created = conversations
        .create_new_conversation(website)
        .await
        .expect("create a conversation");
    let session = created.session_id.expect("a session id");
    assert!(session.starts_with("session_"), "{session}");
    assert!(
        conversations
            .check_conversation_exists(website, &session)
            .await
            .expect("HEAD")
    );
    let fresh = conversations
        .get_conversation(website, &session)
        .await
        .expect("get it");
    assert_eq!(fresh.session_id, session);
    assert_eq!(fresh.state, Some(ConversationState::Pending));
    // An empty conversation is listed only with `include_empty`.
    let listed = conversations
        .list_conversations(website, 1, &ListConversationsOptions::default())
        .await
        .expect("list");
    assert!(listed.is_empty(), "{listed:?}");
    let with_empty = ListConversationsOptions {
        include_empty: Some(true),
        ..Default::default()
    };
    let listed = conversations
        .list_conversations(website, 1, &with_empty)
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);

    // Messaged twice: the visitor, then an operator.
    let first = conversations
        .send_message_in_conversation(
            website,
            &session,
            &text_message("user", "Hello, where is my invoice?"),
        )
        .await
        .expect("send the visitor's message")
        .fingerprint
        .expect("a fingerprint");
    let after_first = conversations
        .get_conversation(website, &session)
        .await
        .expect("get it");
    assert_eq!(
        after_first.unread.and_then(|unread| unread.operator),
        Some(1)
    );
    assert!(after_first.waiting_since.is_some());
    let second = conversations
        .send_message_in_conversation(
            website,
            &session,
            &text_message("operator", "Sent it just now."),
        )
        .await
        .expect("send the operator's reply")
        .fingerprint
        .expect("a fingerprint");
    assert_ne!(first, second);
    let conversation = conversations
        .get_conversation(website, &session)
        .await
        .expect("get it");
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

    // Messages: oldest first; `timestamp_before` pages back; one by fingerprint; edited.
    let messages = conversations
        .get_messages_in_conversation(
            website,
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
    let before_second = GetMessagesInConversationOptions {
        timestamp_before: messages[1].timestamp,
        ..Default::default()
    };
    let older = conversations
        .get_messages_in_conversation(website, &session, &before_second)
        .await
        .expect("older messages");
    assert_eq!(
        older
            .iter()
            .map(|message| message.fingerprint)
            .collect::<Vec<_>>(),
        [Some(first)]
    );
    let before_first = GetMessagesInConversationOptions {
        timestamp_before: messages[0].timestamp,
        ..Default::default()
    };
    let none = conversations
        .get_messages_in_conversation(website, &session, &before_first)
        .await
        .expect("no older messages");
    assert!(none.is_empty());
    conversations
        .update_message_in_conversation(
            website,
            &session,
            first,
            &UpdateMessageInConversationBody {
                content: MessageContent::String("Hello, where is my March invoice?".to_owned()),
            },
        )
        .await
        .expect("edit the first message");
    let edited = conversations
        .get_message_in_conversation(website, &session, first)
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
        .get_message_in_conversation(website, &session, 1)
        .await
        .expect_err("no such fingerprint");
    assert_eq!(failure(&missing), (404, "not_found"));

    // Read by the operator: nothing unread any more.
    conversations
        .mark_messages_read_in_conversation(
            website,
            &session,
            &ConversationMessageMark {
                from: Some(MessageFrom::Operator),
                origin: Some("urn:crisp.im:sandbox-test:0".to_owned()),
                fingerprints: None,
            },
        )
        .await
        .expect("mark read");
    let read = conversations
        .get_conversation(website, &session)
        .await
        .expect("get it");
    assert_eq!(read.unread.and_then(|unread| unread.operator), Some(0));

    // A second conversation, so pages mean something: the most recent comes first.
    let other = conversations
        .create_new_conversation(website)
        .await
        .expect("create another")
        .session_id
        .expect("a session id");
    conversations
        .send_message_in_conversation(
            website,
            &other,
            &text_message("user", "Do you ship to Canada?"),
        )
        .await
        .expect("message it");
    let all = conversations
        .list_conversations(website, 1, &ListConversationsOptions::default())
        .await
        .expect("list");
    let sessions: Vec<&str> = all
        .iter()
        .map(|conversation| conversation.session_id.as_str())
        .collect();
    assert_eq!(sessions, [other.as_str(), session.as_str()]);
    let one_per_page = |page: u32| async move {
        let options = ListConversationsOptions {
            per_page: Some(1),
            ..Default::default()
        };
        conversations
            .list_conversations(website, page, &options)
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
        .list_conversations(website, 2, &ListConversationsOptions::default())
        .await
        .expect("page 2");
    assert!(page_two.is_empty(), "page 2 is past the end: {page_two:?}");
    let unread_only = ListConversationsOptions {
        filter_unread: Some(true),
        ..Default::default()
    };
    let unread = conversations
        .list_conversations(website, 1, &unread_only)
        .await
        .expect("list");
    assert_eq!(
        unread
            .iter()
            .map(|conversation| conversation.session_id.as_str())
            .collect::<Vec<_>>(),
        [other.as_str()]
    );
    let search = |text: &str| ListConversationsOptions {
        search_query: Some(ListConversationsSearchQuery::String(text.to_owned())),
        ..Default::default()
    };
    let found = conversations
        .list_conversations(website, 1, &search("CANADA"))
        .await
        .expect("search");
    assert_eq!(
        found
            .iter()
            .map(|conversation| conversation.session_id.as_str())
            .collect::<Vec<_>>(),
        [other.as_str()]
    );
    let found = conversations
        .list_conversations(website, 1, &search("nothing like it"))
        .await
        .expect("search");
    assert!(found.is_empty());

    // Metas: updated, merged with a second update, searchable.
    conversations
        .update_conversation_metas(
            website,
            &session,
            &ConversationMeta {
                nickname: Some("John Doe".to_owned()),
                email: Some("john.doe@example.com".to_owned()),
                segments: Some(vec!["customer".to_owned()]),
                data: Some(
                    [(
                        "plan".to_owned(),
                        CustomDataValue::String("premium".to_owned()),
                    )]
                    .into(),
                ),
                ..Default::default()
            },
        )
        .await
        .expect("update the metas");
    conversations
        .update_conversation_metas(
            website,
            &session,
            &ConversationMeta {
                phone: Some("+33612345678".to_owned()),
                data: Some([("seats".to_owned(), CustomDataValue::Number(12.0))].into()),
                ..Default::default()
            },
        )
        .await
        .expect("update them again");
    let meta = conversations
        .get_conversation_metas(website, &session)
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
    let found = conversations
        .list_conversations(website, 1, &search("john.doe@"))
        .await
        .expect("search");
    assert_eq!(
        found
            .iter()
            .map(|conversation| conversation.session_id.as_str())
            .collect::<Vec<_>>(),
        [session.as_str()]
    );

    // Routing: assigned to the seeded operator, and filtered on.
    conversations
        .assign_conversation_routing(
            website,
            &session,
            &AssignConversationRoutingBody {
                assigned: Patch::Value(ConversationAssigned {
                    user_id: Some(SEED_OPERATOR_ID.to_owned()),
                }),
                silent: None,
            },
        )
        .await
        .expect("assign");
    let routing = conversations
        .get_conversation_routing_assign(website, &session)
        .await
        .expect("routing");
    assert_eq!(
        routing
            .assigned
            .and_then(|assigned| assigned.user_id)
            .as_deref(),
        Some(SEED_OPERATOR_ID)
    );
    let assigned = ListConversationsOptions {
        filter_assigned: Some(SEED_OPERATOR_ID.to_owned()),
        ..Default::default()
    };
    let found = conversations
        .list_conversations(website, 1, &assigned)
        .await
        .expect("list");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].session_id, session);

    // Resolved: the state says so, and the filters follow.
    conversations
        .change_conversation_state(
            website,
            &session,
            &ChangeConversationStateBody {
                state: ConversationState::Resolved,
                user: None,
                origin: None,
            },
        )
        .await
        .expect("resolve");
    let state = conversations
        .get_conversation_state(website, &session)
        .await
        .expect("the state");
    assert_eq!(state.state, Some(ConversationState::Resolved));
    let resolved_only = ListConversationsOptions {
        filter_resolved: Some(true),
        ..Default::default()
    };
    let resolved = conversations
        .list_conversations(website, 1, &resolved_only)
        .await
        .expect("list");
    assert_eq!(
        resolved
            .iter()
            .map(|conversation| conversation.session_id.as_str())
            .collect::<Vec<_>>(),
        [session.as_str()]
    );
    let open_only = ListConversationsOptions {
        filter_not_resolved: Some(true),
        ..Default::default()
    };
    let open = conversations
        .list_conversations(website, 1, &open_only)
        .await
        .expect("list");
    assert_eq!(
        open.iter()
            .map(|conversation| conversation.session_id.as_str())
            .collect::<Vec<_>>(),
        [other.as_str()]
    );

    // Removed: gone for GET, HEAD and every conversation route.
    conversations
        .remove_conversation(website, &session)
        .await
        .expect("remove");
    let gone = conversations
        .get_conversation(website, &session)
        .await
        .expect_err("removed");
    assert_eq!(failure(&gone), (404, "not_found"));
    assert!(gone.is_not_found());
    assert!(
        !conversations
            .check_conversation_exists(website, &session)
            .await
            .expect("HEAD")
    );
    let gone = conversations
        .get_conversation_state(website, &session)
        .await
        .expect_err("removed");
    assert_eq!(failure(&gone), (404, "not_found"));
    let gone = conversations
        .remove_conversation(website, &session)
        .await
        .expect_err("removed twice");
    assert_eq!(failure(&gone), (404, "not_found"));
    let unknown_website = conversations
        .create_new_conversation("no-such-website")
        .await
        .expect_err("no website");
    assert_eq!(failure(&unknown_website), (404, "not_found"));

    let state = sandbox.stop().await;
    let website = state.website(SEED_WEBSITE_ID).expect("the seeded website");
    assert_eq!(website.conversations.keys().collect::<Vec<_>>(), [&other]);
}

#[tokio::test]
async fn people_profiles_are_created_found_listed_updated_and_removed() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let people = client.website_people();
    let website = SEED_WEBSITE_ID;
    let profile = |email: &str, nickname: &str| PeopleProfileUpdate {
        email: Some(email.to_owned()),
        person: Some(PeopleProfilePerson {
            nickname: Some(nickname.to_owned()),
            ..Default::default()
        }),
        segments: Some(vec!["lead".to_owned()]),
        ..Default::default()
    };

    let john = people
        .add_new_people_profile(website, &profile("john.doe@example.com", "John Doe"))
        .await
        .expect("create John")
        .people_id
        .expect("a people id");
    let jane = people
        .add_new_people_profile(website, &profile("jane.roe@example.com", "Jane Roe"))
        .await
        .expect("create Jane")
        .people_id
        .expect("a people id");
    let duplicate = people
        .add_new_people_profile(website, &profile("JOHN.DOE@example.com", "Another John"))
        .await
        .expect_err("one profile per e-mail address");
    assert_eq!(failure(&duplicate), (409, "conflict"));

    // By id and by e-mail address (an `@` in the path).
    let by_id = people
        .get_people_profile(website, &john)
        .await
        .expect("by id");
    assert_eq!(by_id.people_id.as_deref(), Some(john.as_str()));
    assert_eq!(by_id.email.as_deref(), Some("john.doe@example.com"));
    assert_eq!(
        by_id
            .person
            .as_ref()
            .and_then(|person| person.nickname.as_deref()),
        Some("John Doe")
    );
    assert!(by_id.created_at.is_some());
    let by_email = people
        .get_people_profile(website, "john.doe@example.com")
        .await
        .expect("by e-mail");
    assert_eq!(by_email, by_id);
    assert!(
        people
            .check_people_profile_exists(website, &jane)
            .await
            .expect("HEAD")
    );

    // Listed: newest first, searched, paged.
    let list = |options: ListPeopleProfilesOptions, page: u32| async move {
        people
            .list_people_profiles(website, page, &options)
            .await
            .expect("a page of profiles")
            .into_iter()
            .filter_map(|profile| profile.people_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        list(ListPeopleProfilesOptions::default(), 1).await,
        [jane.as_str(), john.as_str()]
    );
    assert!(
        list(ListPeopleProfilesOptions::default(), 2)
            .await
            .is_empty()
    );
    let search = |text: &str| ListPeopleProfilesOptions {
        search_text: Some(text.to_owned()),
        ..Default::default()
    };
    assert_eq!(list(search("john"), 1).await, [john.as_str()]);
    assert_eq!(list(search("ROE@"), 1).await, [jane.as_str()]);
    assert!(list(search("nobody"), 1).await.is_empty());
    let one_per_page = ListPeopleProfilesOptions {
        per_page: Some(1),
        ..Default::default()
    };
    assert_eq!(list(one_per_page.clone(), 2).await, [john.as_str()]);
    assert!(list(one_per_page, 3).await.is_empty());

    // Updated (merged: the nickname changes, the segments stay) and found by the new name.
    people
        .update_people_profile(
            website,
            &john,
            &PeopleProfileUpdate {
                person: Some(PeopleProfilePerson {
                    nickname: Some("Johnny Doe".to_owned()),
                    phone: Some("+33612345678".to_owned()),
                    ..Default::default()
                }),
                notepad: Some("Prefers e-mail.".to_owned()),
                ..Default::default()
            },
        )
        .await
        .expect("update John");
    let updated = people
        .get_people_profile(website, &john)
        .await
        .expect("John");
    let person = updated.person.expect("a person");
    assert_eq!(person.nickname.as_deref(), Some("Johnny Doe"));
    assert_eq!(person.phone.as_deref(), Some("+33612345678"));
    assert_eq!(updated.segments, Some(vec!["lead".to_owned()]));
    assert_eq!(updated.notepad.as_deref(), Some("Prefers e-mail."));
    assert_eq!(updated.email.as_deref(), Some("john.doe@example.com"));
    assert_eq!(list(search("johnny"), 1).await, [john.as_str()]);
    let taken = people
        .update_people_profile(
            website,
            &john,
            &PeopleProfileUpdate {
                email: Some("jane.roe@example.com".to_owned()),
                ..Default::default()
            },
        )
        .await
        .expect_err("Jane's address is taken");
    assert_eq!(failure(&taken), (409, "conflict"));

    // Data (saved, then merged), events and subscription.
    people
        .save_people_data(
            website,
            &john,
            &PeopleData {
                data: Some(
                    [(
                        "plan".to_owned(),
                        CustomDataValue::String("free".to_owned()),
                    )]
                    .into(),
                ),
            },
        )
        .await
        .expect("save data");
    people
        .update_people_data(
            website,
            &john,
            &PeopleData {
                data: Some([("seats".to_owned(), CustomDataValue::Number(3.0))].into()),
            },
        )
        .await
        .expect("update data");
    let data = people
        .get_people_data(website, "john.doe@example.com")
        .await
        .expect("data")
        .data
        .expect("data");
    assert_eq!(data.len(), 2);
    assert_eq!(
        data.get("plan"),
        Some(&CustomDataValue::String("free".to_owned()))
    );
    for text in ["Signed up", "Upgraded"] {
        people
            .add_people_event(
                website,
                &john,
                &PeopleEvent {
                    text: Some(text.to_owned()),
                    ..Default::default()
                },
            )
            .await
            .expect("add an event");
    }
    let events = people
        .list_people_events(website, &john, 1)
        .await
        .expect("events");
    let texts: Vec<Option<&str>> = events.iter().map(|event| event.text.as_deref()).collect();
    assert_eq!(texts, [Some("Upgraded"), Some("Signed up")]);
    assert!(events.iter().all(|event| event.timestamp.is_some()));
    assert!(
        people
            .list_people_events(website, &john, 2)
            .await
            .expect("page 2")
            .is_empty()
    );
    assert_eq!(
        people
            .get_people_subscription_status(website, &john)
            .await
            .expect("subscription")
            .email,
        Some(true)
    );
    people
        .update_people_subscription_status(
            website,
            &john,
            &PeopleSubscription { email: Some(false) },
        )
        .await
        .expect("unsubscribe");
    assert_eq!(
        people
            .get_people_subscription_status(website, &john)
            .await
            .expect("subscription")
            .email,
        Some(false)
    );

    // Removed: gone by id and by address.
    people
        .remove_people_profile(website, &john)
        .await
        .expect("remove John");
    let gone = people
        .get_people_profile(website, &john)
        .await
        .expect_err("removed");
    assert_eq!(failure(&gone), (404, "not_found"));
    let gone = people
        .get_people_profile(website, "john.doe@example.com")
        .await
        .expect_err("removed");
    assert_eq!(failure(&gone), (404, "not_found"));
    assert!(
        !people
            .check_people_profile_exists(website, &john)
            .await
            .expect("HEAD")
    );
    assert_eq!(
        list(ListPeopleProfilesOptions::default(), 1).await,
        [jane.as_str()]
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn operators_visitors_and_websites_come_from_the_state() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let plugin = sandbox.plugin();
    let user = sandbox.user();
    let website = SEED_WEBSITE_ID;

    let operators = plugin
        .website_operator()
        .list_website_operators(website)
        .await
        .expect("operators");
    assert_eq!(operators.len(), 1);
    let operator = plugin
        .website_operator()
        .get_website_operator(website, SEED_OPERATOR_ID)
        .await
        .expect("the operator");
    assert_eq!(operator.first_name.as_deref(), Some("Jane"));
    let missing = plugin
        .website_operator()
        .get_website_operator(website, "nobody")
        .await
        .expect_err("no such operator");
    assert_eq!(failure(&missing), (404, "not_found"));

    let session = plugin
        .website_conversation()
        .create_new_conversation(website)
        .await
        .expect("a conversation")
        .session_id
        .expect("a session id");
    let visitors = plugin
        .website_visitors()
        .list_visitors(website, 1)
        .await
        .expect("visitors");
    assert_eq!(visitors.len(), 1);
    assert_eq!(visitors[0].session_id.as_deref(), Some(session.as_str()));
    assert!(
        plugin
            .website_visitors()
            .list_visitors(website, 2)
            .await
            .expect("page 2")
            .is_empty()
    );

    // A user creates a website, owns it, finds it by domain, and deletes it.
    let created = user
        .website_base()
        .create_website(&crisp_models::CreateWebsiteBody {
            name: Some("Sandbox Shop".to_owned()),
            domain: Some("shop.example.org".to_owned()),
        })
        .await
        .expect("create a website");
    let id = created.website_id.expect("a website id");
    assert_eq!(
        user.website_base()
            .get_website(&id)
            .await
            .expect("get it")
            .name
            .as_deref(),
        Some("Sandbox Shop")
    );
    assert!(
        user.website_base()
            .check_website_exists("shop.example.org")
            .await
            .expect("HEAD")
    );
    let owners = user
        .website_operator()
        .list_website_operators(&id)
        .await
        .expect("operators");
    assert_eq!(
        owners[0]
            .details
            .as_ref()
            .and_then(|operator| operator.user_id.as_deref()),
        Some(USER.0)
    );
    user.website_base()
        .delete_website(
            &id,
            &crisp_models::DeleteWebsiteBody {
                verify: crisp_models::DeleteWebsiteBodyVerify {
                    method: Some("password".to_owned()),
                    secret: Some("secret".to_owned()),
                },
            },
        )
        .await
        .expect("delete it");
    let gone = user
        .website_base()
        .get_website(&id)
        .await
        .expect_err("deleted");
    assert_eq!(failure(&gone), (404, "not_found"));
    assert!(
        !user
            .website_base()
            .check_website_exists("shop.example.org")
            .await
            .expect("HEAD")
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn examples_mode_answers_every_operation_with_its_example() {
    let sandbox = Running::start(config(Mode::Examples)).await;
    let plugin = sandbox.plugin();
    let user = sandbox.user();
    let examples = Examples::new();
    let (website, session) = (
        SEED_WEBSITE_ID,
        "session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881",
    );

    let conversation = plugin
        .website_conversation()
        .get_conversation(website, session)
        .await
        .expect("a conversation");
    let expected = examples
        .get_conversation(example_caller(), website.to_owned(), session.to_owned())
        .await
        .expect("the example");
    assert_eq!(conversation, expected);
    assert_eq!(conversation.state, Some(ConversationState::Unresolved));

    // Any ids: examples mode keeps no state.
    let other = plugin
        .website_conversation()
        .get_conversation(website, "session_other")
        .await
        .expect("the same example");
    assert_eq!(other, expected);
    let created = plugin
        .website_conversation()
        .create_new_conversation(website)
        .await
        .expect("create");
    assert_eq!(created.session_id.as_deref(), Some(session));

    let site = user
        .website_base()
        .get_website(website)
        .await
        .expect("a website");
    assert_eq!(
        site,
        examples
            .get_website(example_caller(), website.to_owned())
            .await
            .expect("the example")
    );
    let operators = plugin
        .website_operator()
        .list_website_operators(website)
        .await
        .expect("operators");
    assert_eq!(
        operators,
        examples
            .list_website_operators(example_caller(), website.to_owned())
            .await
            .expect("the example")
    );
    assert_eq!(operators.len(), 2);

    // Invalid requests get the router's errors all the same.
    let wrong_tier = plugin
        .website_campaigns()
        .list_campaigns(website, 1, &ListCampaignsOptions::default())
        .await
        .expect_err("user only");
    assert_eq!(failure(&wrong_tier), (403, "not_allowed"));
    sandbox.stop().await;
}

#[tokio::test]
async fn what_the_state_does_not_implement_answers_its_example() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let plugin = sandbox.plugin();
    let user = sandbox.user();
    let examples = Examples::new();
    let website = SEED_WEBSITE_ID;

    let campaigns = user
        .website_campaigns()
        .list_campaigns(website, 1, &ListCampaignsOptions::default())
        .await
        .expect("campaigns");
    let expected = examples
        .list_campaigns(
            example_caller(),
            website.to_owned(),
            1,
            ListCampaignsOptions::default(),
        )
        .await
        .expect("the example");
    assert!(!campaigns.is_empty());
    assert_eq!(campaigns, expected);

    // A HEAD route (no body to read the reason from) and a PATCH with a body fall back too.
    assert!(
        plugin
            .website_inbox()
            .check_inbox_exists(website, "any-inbox")
            .await
            .expect("HEAD")
    );
    let session = plugin
        .website_conversation()
        .create_new_conversation(website)
        .await
        .expect("a conversation")
        .session_id
        .expect("a session id");
    let compose = serde_json::from_value(json!({"type": "start", "from": "operator"}))
        .expect("a compose body");
    plugin
        .website_conversation()
        .compose_message_in_conversation(website, &session, &compose)
        .await
        .expect("compose answers its example");

    // The fallback does not hide the stateful answers: a removed conversation stays removed.
    plugin
        .website_conversation()
        .remove_conversation(website, &session)
        .await
        .expect("remove");
    let gone = plugin
        .website_conversation()
        .get_conversation(website, &session)
        .await
        .expect_err("removed");
    assert_eq!(failure(&gone), (404, "not_found"));
    sandbox.stop().await;
}

/// One raw request and the answer's status and JSON body.
async fn raw(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    auth: Option<(&str, &str, &str)>,
    body: Option<Vec<u8>>,
) -> (u16, Value) {
    let mut request = http.request(method, url);
    if let Some((tier, identifier, key)) = auth {
        request = request
            .basic_auth(identifier, Some(key))
            .header("X-Crisp-Tier", tier);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("the body");
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|error| {
        panic!("a JSON body ({error}): {}", String::from_utf8_lossy(&bytes))
    });
    (status, body)
}

/// Asserts that an answer is Crisp's error envelope with `status` and `reason`.
fn assert_envelope(case: &str, (status, body): &(u16, Value), expected_status: u16, reason: &str) {
    assert!(*status < 500, "{case}: a server error: {status} {body}");
    assert_eq!(*status, expected_status, "{case}: {body}");
    assert_eq!(body["error"], json!(true), "{case}: {body}");
    assert_eq!(body["reason"], json!(reason), "{case}: {body}");
    let message = body["data"]["message"].as_str().unwrap_or("");
    assert!(!message.is_empty(), "{case}: a message: {body}");
}

#[tokio::test]
async fn bad_input_gets_crisp_envelopes_and_never_a_server_error() {
    for mode in [Mode::Stateful, Mode::Examples] {
        let sandbox = Running::start(config(mode)).await;
        let plugin = Some(("plugin", PLUGIN.0, PLUGIN.1));
        let http = reqwest::Client::new();
        let website = SEED_WEBSITE_ID;
        // A conversation to send to (in examples mode any id will do).
        let session = sandbox
            .plugin()
            .website_conversation()
            .create_new_conversation(website)
            .await
            .expect("a conversation")
            .session_id
            .expect("a session id");
        let base = &sandbox.base;
        let message_url = format!("{base}/website/{website}/conversation/{session}/message");
        let state_url = format!("{base}/website/{website}/conversation/{session}/state");
        let compose_url = format!("{base}/website/{website}/conversation/{session}/compose");
        let list_url = format!("{base}/website/{website}/conversations/1");
        let post = reqwest::Method::POST;
        let patch = reqwest::Method::PATCH;
        let get = reqwest::Method::GET;
        let case = |name: &str| format!("{mode} mode, {name}");

        let answer = raw(
            &http,
            post.clone(),
            &message_url,
            plugin,
            Some(b"{\"type\": \"text\",".to_vec()),
        )
        .await;
        assert_envelope(&case("malformed JSON"), &answer, 400, "invalid_data");
        let answer = raw(
            &http,
            post.clone(),
            &message_url,
            plugin,
            Some(b"[1, 2]".to_vec()),
        )
        .await;
        assert_envelope(
            &case("an array for an object"),
            &answer,
            400,
            "invalid_data",
        );
        let wrong_type = json!({"type": "text", "from": "user", "origin": "chat", "content": 42});
        let answer = raw(
            &http,
            post.clone(),
            &message_url,
            plugin,
            Some(wrong_type.to_string().into_bytes()),
        )
        .await;
        assert_envelope(
            &case("a number for the text content"),
            &answer,
            400,
            "invalid_data",
        );
        // The models' enums are open (a value Crisp adds later must decode), so the closest to
        // a value outside the enum is a value of the wrong kind.
        let answer = raw(
            &http,
            patch.clone(),
            &state_url,
            plugin,
            Some(br#"{"state": 3}"#.to_vec()),
        )
        .await;
        assert_envelope(
            &case("a number for the state enum"),
            &answer,
            400,
            "invalid_data",
        );
        assert!(
            answer.1["data"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("state"),
            "{}",
            answer.1
        );
        let answer = raw(
            &http,
            patch.clone(),
            &state_url,
            plugin,
            Some(b"{}".to_vec()),
        )
        .await;
        assert_envelope(
            &case("a missing required field"),
            &answer,
            400,
            "invalid_data",
        );
        assert!(
            answer.1["data"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("state"),
            "{}",
            answer.1
        );
        let answer = raw(&http, patch.clone(), &state_url, plugin, None).await;
        assert_envelope(&case("a missing body"), &answer, 400, "invalid_data");
        let answer = raw(
            &http,
            get.clone(),
            &format!("{list_url}?per_page=many"),
            plugin,
            None,
        )
        .await;
        assert_envelope(
            &case("a word for a number in the query"),
            &answer,
            400,
            "invalid_data",
        );
        let answer = raw(
            &http,
            get.clone(),
            &format!("{base}/website/{website}/conversations/first"),
            plugin,
            None,
        )
        .await;
        assert_envelope(
            &case("a word for the page number"),
            &answer,
            400,
            "invalid_data",
        );

        let huge = json!({"type": "text", "from": "user", "origin": "chat", "content": "x".repeat(BODY_LIMIT * 2)});
        let answer = raw(
            &http,
            post.clone(),
            &message_url,
            plugin,
            Some(huge.to_string().into_bytes()),
        )
        .await;
        assert_envelope(
            &case("an oversized message"),
            &answer,
            413,
            "payload_too_large",
        );
        let huge =
            json!({"type": "start", "from": "operator", "excerpt": "x".repeat(BODY_LIMIT * 2)});
        let answer = raw(
            &http,
            patch.clone(),
            &compose_url,
            plugin,
            Some(huge.to_string().into_bytes()),
        )
        .await;
        assert_envelope(
            &case("an oversized compose (an example operation)"),
            &answer,
            413,
            "payload_too_large",
        );

        let answer = raw(&http, get.clone(), &list_url, None, None).await;
        assert_envelope(&case("no credentials"), &answer, 401, "invalid_session");
        let answer = raw(
            &http,
            get.clone(),
            &list_url,
            Some(("plugin", PLUGIN.0, "wrong-key")),
            None,
        )
        .await;
        assert_envelope(&case("a wrong key"), &answer, 401, "invalid_session");
        let answer = raw(
            &http,
            get.clone(),
            &list_url,
            Some(("user", PLUGIN.0, PLUGIN.1)),
            None,
        )
        .await;
        assert_envelope(
            &case("the plugin token sent as a user token"),
            &answer,
            401,
            "invalid_session",
        );
        let answer = raw(
            &http,
            get.clone(),
            &list_url,
            Some(("admin", PLUGIN.0, PLUGIN.1)),
            None,
        )
        .await;
        assert_envelope(&case("an unknown tier"), &answer, 401, "invalid_session");

        let campaigns = format!("{base}/website/{website}/campaigns/list/1");
        let answer = raw(&http, get.clone(), &campaigns, plugin, None).await;
        assert_envelope(
            &case("a user-only operation with a plugin token"),
            &answer,
            403,
            "not_allowed",
        );
        let scoped = Some(("plugin", SCOPED.0, SCOPED.1));
        let answer = raw(&http, get.clone(), &list_url, scoped, None).await;
        assert_envelope(
            &case("a plugin token without website:conversation:sessions"),
            &answer,
            403,
            "not_allowed",
        );
        assert!(
            answer.1["data"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("website:conversation:sessions"),
            "{}",
            answer.1
        );
        // The same token may do what its scope allows.
        let profiles = format!("{base}/website/{website}/people/profiles/1");
        let (status, body) = raw(&http, get.clone(), &profiles, scoped, None).await;
        assert_eq!(
            status, 200,
            "{mode} mode, a scoped call within the scope: {body}"
        );
        assert_eq!(body["error"], json!(false));

        let answer = raw(
            &http,
            get.clone(),
            &format!("{base}/no/such/route"),
            plugin,
            None,
        )
        .await;
        assert_envelope(&case("an unknown route"), &answer, 404, "not_found");
        let answer = raw(&http, reqwest::Method::PUT, &list_url, plugin, None).await;
        assert_envelope(
            &case("a method the route does not have"),
            &answer,
            405,
            "method_not_allowed",
        );
        if mode == Mode::Stateful {
            let answer = raw(
                &http,
                get.clone(),
                &format!("{base}/website/no-such-website/conversations/1"),
                plugin,
                None,
            )
            .await;
            assert_envelope(&case("an unknown website"), &answer, 404, "not_found");
            let answer = raw(
                &http,
                get.clone(),
                &format!("{base}/website/{website}/conversation/session_nope"),
                plugin,
                None,
            )
            .await;
            assert_envelope(&case("an unknown conversation"), &answer, 404, "not_found");
        }
        sandbox.stop().await;
    }
}

/// A state file path of its own for one test, removed when dropped.
struct StateFile(PathBuf);

impl StateFile {
    fn new(name: &str) -> StateFile {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        StateFile(std::env::temp_dir().join(format!(
            "crisp-sandbox-{name}-{}-{nanos}.json",
            std::process::id()
        )))
    }
}

impl Drop for StateFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn the_state_file_carries_a_conversation_across_restarts() {
    let file = StateFile::new("round-trip");
    let with_file = || Config {
        state_file: Some(file.0.clone()),
        ..config(Mode::Stateful)
    };
    let website = SEED_WEBSITE_ID;

    // First run: no file yet, so the seeded state; a conversation is made.
    let first = Running::start(with_file()).await;
    let client = first.plugin();
    let session = client
        .website_conversation()
        .create_new_conversation(website)
        .await
        .expect("a conversation")
        .session_id
        .expect("a session id");
    let fingerprint = client
        .website_conversation()
        .send_message_in_conversation(
            website,
            &session,
            &text_message("user", "Still there after a restart?"),
        )
        .await
        .expect("a message")
        .fingerprint
        .expect("a fingerprint");
    let before = client
        .website_conversation()
        .get_conversation(website, &session)
        .await
        .expect("the conversation");
    drop(client);
    let saved = first.stop().await;
    assert_eq!(State::load(&file.0).expect("the saved state"), saved);

    // Second run: the same conversation, message and all.
    let second = Running::start(with_file()).await;
    let client = second.plugin();
    let after = client
        .website_conversation()
        .get_conversation(website, &session)
        .await
        .expect("the conversation");
    assert_eq!(after, before);
    let message = client
        .website_conversation()
        .get_message_in_conversation(website, &session, fingerprint)
        .await
        .expect("the message");
    assert_eq!(
        message.content,
        Some(MessageContent::String(
            "Still there after a restart?".to_owned()
        ))
    );
    // New timestamps still come after the saved ones.
    client
        .website_conversation()
        .send_message_in_conversation(website, &session, &text_message("operator", "Yes."))
        .await
        .expect("a reply");
    drop(client);
    let resaved = second.stop().await;
    let messages = &resaved
        .website(website)
        .expect("the website")
        .conversation(&session)
        .expect("the conversation")
        .messages;
    assert_eq!(messages.len(), 2);
    assert!(messages[0].timestamp < messages[1].timestamp);

    // A file that is not a state is refused, not overwritten.
    std::fs::write(&file.0, b"not a state").expect("write a broken state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let refused = crisp_sandbox::run(with_file(), listener, async {})
        .await
        .expect_err("a broken state file");
    assert!(
        matches!(refused, crisp_sandbox::Error::State(_)),
        "{refused}"
    );
    assert_eq!(std::fs::read(&file.0).expect("the file"), b"not a state");
}

/// In examples mode the sandbox answers every operation of the spec, internal ones included:
/// none is left to the router's `501 not_implemented`.
#[tokio::test]
async fn examples_mode_answers_every_operation_of_the_spec() {
    let sandbox = Running::start(config(Mode::Examples)).await;
    let mut failures = Vec::new();
    let mut answered = std::collections::BTreeSet::new();
    for (tier, client) in [
        (Tier::Plugin, sandbox.plugin()),
        (Tier::User, sandbox.user()),
    ] {
        let calls = crisp_client::examples::call_every_operation(&client).await;
        crate::support::judge_example_calls(tier, calls, &mut answered, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        answered.len() >= 473,
        "{} operations answered",
        answered.len()
    );
    sandbox.stop().await;
}
