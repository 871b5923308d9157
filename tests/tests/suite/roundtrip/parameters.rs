//! Path and query parameters: what the client puts in the URL reaches the implementation as
//! the typed value it started from, reserved characters and all, and the wire spells it the way
//! Crisp expects.

use crisp_client::Tier;
use crisp_models::{
    ConversationActive, ConversationSearchFilter, ConversationState, ListConversationsOptions,
    ListConversationsSearchOperator, ListConversationsSearchQuery, ListConversationsSearchType,
};
use crisp_server::Caller;
use reqwest::Method;

use super::fake::Call;
use super::harness::{Auth, start};
use super::seed::unread;
use super::{DOMAIN, IDENTIFIER, WEBSITE};

#[tokio::test]
async fn head_check_conversation_exists_is_true_for_known_and_false_for_unknown() {
    let harness = start().await;
    let conversations = harness.conversations();

    assert!(
        conversations
            .check_conversation_exists(WEBSITE, "session_alpha")
            .await
            .unwrap()
    );
    assert!(
        !conversations
            .check_conversation_exists(WEBSITE, "session_nope")
            .await
            .unwrap()
    );
    assert!(
        !conversations
            .check_conversation_exists("website-x", "session_alpha")
            .await
            .unwrap()
    );

    // A path parameter with reserved characters reaches the server exactly as given.
    let odd = "a/b c?d#e%f+g";
    assert!(
        !conversations
            .check_conversation_exists(WEBSITE, odd)
            .await
            .unwrap()
    );
    assert_eq!(harness.last_request().method, "HEAD");

    assert_eq!(
        harness.calls(),
        [
            Call::CheckConversationExists {
                website_id: WEBSITE.to_owned(),
                session_id: "session_alpha".to_owned()
            },
            Call::CheckConversationExists {
                website_id: WEBSITE.to_owned(),
                session_id: "session_nope".to_owned()
            },
            Call::CheckConversationExists {
                website_id: "website-x".to_owned(),
                session_id: "session_alpha".to_owned()
            },
            Call::CheckConversationExists {
                website_id: WEBSITE.to_owned(),
                session_id: odd.to_owned()
            },
        ]
    );
    // The router tells the implementation who is calling.
    let callers = harness.state().callers.clone();
    assert!(
        callers
            .iter()
            .all(|caller| caller == &Caller::new(IDENTIFIER, Tier::Plugin))
    );
}

#[tokio::test]
async fn head_check_website_exists_sends_the_exact_domain() {
    let harness = start().await;
    let base = harness.client.website_base();

    assert!(base.check_website_exists(DOMAIN).await.unwrap());
    // Characters that mean something in a query string survive the trip.
    let tricky = "a b+c&d=é.example.com";
    assert!(!base.check_website_exists(tricky).await.unwrap());

    assert_eq!(
        harness.calls(),
        [
            Call::CheckWebsiteExists {
                domain: DOMAIN.to_owned()
            },
            Call::CheckWebsiteExists {
                domain: tricky.to_owned()
            },
        ]
    );
    let request = harness.last_request();
    assert_eq!(request.method, "HEAD");
    assert!(
        request.uri.starts_with("/v1/website?domain="),
        "{}",
        request.uri
    );

    // The parameter is required: without it the router answers 400 naming it (no body on HEAD).
    let answer = harness
        .raw(Method::HEAD, "/v1/website", Auth::Valid, None)
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(harness.calls().len(), 2);
}

#[tokio::test]
async fn list_conversations_sends_the_page_and_typed_filters() {
    let harness = start().await;
    let filters = vec![ConversationSearchFilter::new(
        "meta.segments".to_owned(),
        vec!["vip".to_owned(), "gold & silver".to_owned()],
        "session".to_owned(),
        "has".to_owned(),
    )];
    let mut options = ListConversationsOptions::default();
    options.per_page = Some(10);
    options.filter_unread = Some(true);
    options.filter_resolved = Some(false);
    options.order_date_updated = Some(true);
    options.search_type = Some(ListConversationsSearchType::Filter);
    options.search_query = Some(ListConversationsSearchQuery::List(filters.clone()));
    options.search_operator = Some(ListConversationsSearchOperator::And);

    let page = harness
        .conversations()
        .list_conversations(WEBSITE, 1, &options)
        .await
        .unwrap();

    // The server decoded every parameter back to the typed value the client started from.
    let Call::ListConversations {
        website_id,
        page_number,
        options: received,
    } = harness.last_call()
    else {
        panic!("unexpected call {:?}", harness.last_call());
    };
    assert_eq!(website_id, WEBSITE);
    assert_eq!(page_number, 1);
    assert_eq!(received.per_page, Some(10));
    assert_eq!(received.filter_unread, Some(true));
    assert_eq!(received.filter_resolved, Some(false));
    assert_eq!(received.order_date_updated, Some(true));
    assert_eq!(
        received.search_type,
        Some(ListConversationsSearchType::Filter)
    );
    assert_eq!(
        received.search_query,
        Some(ListConversationsSearchQuery::List(filters))
    );
    assert_eq!(
        received.search_operator,
        Some(ListConversationsSearchOperator::And)
    );
    assert_eq!(received.include_empty, None);
    assert_eq!(received.filter_assigned, None);
    assert_eq!(received, options);

    // On the wire, booleans are 1/0 and the structured query is JSON text.
    let uri = harness.last_request().uri;
    assert!(
        uri.starts_with(&format!("/v1/website/{WEBSITE}/conversations/1?")),
        "{uri}"
    );
    for expected in [
        "per_page=10",
        "filter_unread=1",
        "filter_resolved=0",
        "order_date_updated=1",
        "search_type=filter",
        "search_query=%5B%7B%22criterion%22%3A%22meta.segments%22",
        "search_operator=and",
    ] {
        assert!(uri.contains(expected), "`{expected}` missing from {uri}");
    }
    assert!(!uri.contains("include_empty"), "{uri}");

    // Unread, not resolved, with a `vip` segment, most recently updated first.
    let ids: Vec<&str> = page.iter().map(|found| found.session_id.as_str()).collect();
    assert_eq!(ids, ["session_gamma", "session_alpha"]);
    let gamma = &page[0];
    assert_eq!(gamma.website_id, WEBSITE);
    assert_eq!(gamma.state, Some(ConversationState::Pending));
    assert_eq!(gamma.status, Some(0));
    assert_eq!(gamma.updated_at, Some(4_000));
    assert_eq!(gamma.unread, unread(1));
    let alpha = &page[1];
    assert_eq!(alpha.state, Some(ConversationState::Unresolved));
    assert_eq!(alpha.is_verified, Some(true));
    let mut active = ConversationActive::default();
    active.now = Some(true);
    active.last = Some(1_999);
    assert_eq!(alpha.active, Some(active));
    assert_eq!(alpha.last_message.as_deref(), Some("Where is my order?"));
    assert_eq!(
        alpha.assigned.as_ref().and_then(|a| a.user_id.as_deref()),
        Some("operator-1")
    );
    let meta = alpha.meta.as_ref().expect("meta");
    assert_eq!(meta.email.as_deref(), Some("ada@example.com"));
    assert_eq!(
        meta.segments.as_deref(),
        Some(&["vip".to_owned(), "returning".to_owned()][..])
    );

    // The next page is empty, and the server saw page 2.
    let next = harness
        .conversations()
        .list_conversations(WEBSITE, 2, &options)
        .await
        .unwrap();
    assert!(next.is_empty());
    assert!(matches!(
        harness.last_call(),
        Call::ListConversations { page_number: 2, .. }
    ));

    // Without options, no query string at all, and every conversation comes back.
    let all = harness
        .conversations()
        .list_conversations(WEBSITE, 1, &ListConversationsOptions::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(
        harness.last_request().uri,
        format!("/v1/website/{WEBSITE}/conversations/1")
    );
    assert!(matches!(
        harness.last_call(),
        Call::ListConversations { options, .. } if options == ListConversationsOptions::default()
    ));
}

#[tokio::test]
async fn list_conversations_text_search_round_trips() {
    let harness = start().await;
    let mut options = ListConversationsOptions::default();
    options.filter_resolved = Some(true);
    options.search_type = Some(ListConversationsSearchType::Text);
    options.search_query = Some(ListConversationsSearchQuery::String(
        "order #42 & co".to_owned(),
    ));
    let page = harness
        .conversations()
        .list_conversations(WEBSITE, 1, &options)
        .await
        .unwrap();
    let ids: Vec<&str> = page.iter().map(|found| found.session_id.as_str()).collect();
    assert_eq!(ids, ["session_beta"]);
    // A text query travels as plain text, not as a JSON string.
    let uri = harness.last_request().uri;
    assert!(uri.contains("search_query=order+%2342+%26+co"), "{uri}");
    assert!(uri.contains("filter_resolved=1"), "{uri}");
    let Call::ListConversations {
        options: received, ..
    } = harness.last_call()
    else {
        panic!("unexpected call");
    };
    assert_eq!(received.filter_resolved, Some(true));
    assert_eq!(
        received.search_type,
        Some(ListConversationsSearchType::Text)
    );
    assert_eq!(
        received.search_query,
        Some(ListConversationsSearchQuery::String(
            "order #42 & co".to_owned()
        ))
    );
}

#[tokio::test]
async fn list_conversations_text_search_for_a_number_round_trips() {
    // Searching for an order or phone number is an ordinary text search; its text must reach
    // the server unchanged even though, sent unquoted, it is also valid JSON.
    let harness = start().await;
    for text in ["12345", "true"] {
        let mut options = ListConversationsOptions::default();
        options.search_type = Some(ListConversationsSearchType::Text);
        options.search_query = Some(ListConversationsSearchQuery::String(text.to_owned()));
        let result = harness
            .conversations()
            .list_conversations(WEBSITE, 1, &options)
            .await;
        assert!(
            result.is_ok(),
            "text search for `{text}`: {:?}",
            result.err()
        );
        let Call::ListConversations {
            options: received, ..
        } = harness.last_call()
        else {
            panic!("unexpected call");
        };
        assert_eq!(
            received.search_query,
            Some(ListConversationsSearchQuery::String(text.to_owned()))
        );
    }
}
