//! Paging as streams: numbered pages read until an empty one, the same filters on every page,
//! message history walked back with `timestamp_before`, and an error that ends the stream.

use axum::http::StatusCode;
use crisp_client::Reason;
use crisp_client::models::{
    ConversationSearchFilter, GetMessagesInConversationOptions, ListConversationsOptions,
    ListConversationsSearchOperator, ListConversationsSearchQuery, ListConversationsSearchType,
    ListPeopleProfilesOptions,
};
use serde_json::json;

use super::harness::{
    Reply, SESSION, WEBSITE, assert_error_secret_free, collect, conversation, fast, message,
    plugin_client, profile, serve,
};

#[tokio::test]
async fn page_stream_reads_until_an_empty_page() {
    let server = serve(|_, request| match request.page() {
        1 => Reply::ok(json!([profile("p1-a"), profile("p1-b")])),
        2 => Reply::ok(json!([profile("p2-a"), profile("p2-b")])),
        _ => Reply::ok(json!([])),
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let items = collect(
        client
            .website_people()
            .list_people_profiles_stream(WEBSITE, &ListPeopleProfilesOptions::default()),
    )
    .await;
    let ids: Vec<String> = items
        .into_iter()
        .map(|item| item.expect("every page decodes").people_id.expect("an id"))
        .collect();
    assert_eq!(ids, ["p1-a", "p1-b", "p2-a", "p2-b"]);
    let paths: Vec<String> = server
        .seen()
        .into_iter()
        .map(|request| request.path)
        .collect();
    let expected: Vec<String> = (1..=3)
        .map(|page| format!("/v1/website/{WEBSITE}/people/profiles/{page}"))
        .collect();
    assert_eq!(paths, expected);
}

#[tokio::test]
async fn page_stream_sends_the_same_filters_on_every_page() {
    let server = serve(|_, request| match request.page() {
        page @ (1 | 2) => Reply::ok(json!([
            conversation(&format!("s{page}-a")),
            conversation(&format!("s{page}-b"))
        ])),
        _ => Reply::ok(json!([])),
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let mut options = ListConversationsOptions::default();
    options.per_page = Some(2);
    options.filter_unread = Some(true);
    options.filter_inbox_id = Some("inbox 1/sales".to_owned());
    options.search_type = Some(ListConversationsSearchType::Filter);
    options.search_query = Some(ListConversationsSearchQuery::List(vec![
        ConversationSearchFilter::new(
            "meta.segments".to_owned(),
            vec!["vip".to_owned()],
            "session".to_owned(),
            "has".to_owned(),
        ),
    ]));
    options.search_operator = Some(ListConversationsSearchOperator::And);
    let items = collect(
        client
            .website_conversation()
            .list_conversations_stream(WEBSITE, &options),
    )
    .await;
    let ids: Vec<String> = items
        .into_iter()
        .map(|item| item.expect("every page decodes").session_id)
        .collect();
    assert_eq!(ids, ["s1-a", "s1-b", "s2-a", "s2-b"]);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    let first = seen[0].query.clone().expect("a query string");
    for (request, page) in seen.iter().zip(1..) {
        assert_eq!(
            request.path,
            format!("/v1/website/{WEBSITE}/conversations/{page}")
        );
        assert_eq!(
            request.query.as_deref(),
            Some(first.as_str()),
            "page {page}"
        );
    }
    assert_eq!(seen[0].query_param("per_page").as_deref(), Some("2"));
    assert_eq!(seen[0].query_param("filter_unread").as_deref(), Some("1"));
    assert_eq!(
        seen[0].query_param("search_type").as_deref(),
        Some("filter")
    );
    assert_eq!(
        seen[0].query_param("search_operator").as_deref(),
        Some("and")
    );
    assert!(
        seen[0]
            .query_param("search_query")
            .is_some_and(|query| query.contains("meta.segments")),
        "{first}"
    );
    assert!(
        seen[0]
            .query_param("filter_inbox_id")
            .is_some_and(|inbox| !inbox.contains(' ') && !inbox.contains('/')),
        "{first}"
    );
}

#[tokio::test]
async fn history_stream_goes_back_with_timestamp_before() {
    let server = serve(
        |_, request| match request.query_param("timestamp_before").as_deref() {
            // The first page is in chronological order: the cursor is its oldest timestamp, not its last.
            None => Reply::ok(json!([
                message(1, 1_000),
                message(2, 2_000),
                message(3, 3_000)
            ])),
            Some("1000") => Reply::ok(json!([message(-2, 500), message(-1, 800)])),
            _ => Reply::ok(json!([])),
        },
    )
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let items = collect(
        client
            .website_conversation()
            .get_messages_in_conversation_stream(
                WEBSITE,
                SESSION,
                &GetMessagesInConversationOptions::default(),
            ),
    )
    .await;
    let timestamps: Vec<u64> = items
        .into_iter()
        .map(|item| {
            item.expect("every page decodes")
                .timestamp
                .expect("a timestamp")
        })
        .collect();
    assert_eq!(timestamps, [1_000, 2_000, 3_000, 500, 800]);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].query_param("timestamp_before"), None);
    assert_eq!(
        seen[1].query_param("timestamp_before").as_deref(),
        Some("1000")
    );
    assert_eq!(
        seen[2].query_param("timestamp_before").as_deref(),
        Some("500")
    );
    assert!(
        seen.iter().all(|request| request.path
            == format!("/v1/website/{WEBSITE}/conversation/{SESSION}/messages"))
    );
}

#[tokio::test]
async fn an_error_on_page_two_ends_the_stream() {
    let server = serve(|_, request| match request.page() {
        1 => Reply::ok(json!([profile("p1-a"), profile("p1-b")])),
        _ => Reply::error(403, "not_allowed", "token lacks scope"),
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let items = collect(
        client
            .website_people()
            .list_people_profiles_stream(WEBSITE, &ListPeopleProfilesOptions::default()),
    )
    .await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(
        items[0].as_ref().expect("page 1").people_id.as_deref(),
        Some("p1-a")
    );
    assert_eq!(
        items[1].as_ref().expect("page 1").people_id.as_deref(),
        Some("p1-b")
    );
    let error = items[2].as_ref().expect_err("page 2 fails");
    assert_eq!(error.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(error.reason(), Some(&Reason::NotAllowed));
    assert_eq!(error.message(), Some("token lacks scope"));
    assert_error_secret_free(error);
    assert_eq!(server.count(), 2, "no page after the error");
}
