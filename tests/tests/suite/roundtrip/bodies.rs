//! JSON bodies and typed answers: a request body reaches the implementation field for field (a
//! field left out, a `null` and a value stay three different things), and answers decode back
//! into the client's types, values this version does not know included.

use std::collections::BTreeMap;

use crisp_client::Tier;
use crisp_models::{
    AssignConversationRoutingBody, ChangeConversationStateBody, ConversationDevice,
    ConversationDeviceGeolocation, ConversationDeviceGeolocationCoordinates,
    ConversationDeviceSystem, ConversationDeviceSystemBrowser, ConversationDeviceSystemOs,
    ConversationMeta, ConversationMetaConnection, ConversationState, CustomDataValue,
    DeleteWebsiteBody, DeleteWebsiteBodyVerify, Patch,
};
use reqwest::Method;
use serde_json::{Value, json};

use super::fake::Call;
use super::harness::{Auth, Harness, assert_api_error, start};
use super::seed::{assigned, operator};
use super::{USER_IDENTIFIER, USER_KEY, VERIFY_SECRET, WEBSITE};

/// A password verification, with `secret` if given.
fn verify(secret: Option<&str>) -> DeleteWebsiteBodyVerify {
    let mut verify = DeleteWebsiteBodyVerify::default();
    verify.method = Some("password".to_owned());
    verify.secret = secret.map(str::to_owned);
    verify
}

#[tokio::test]
async fn delete_website_sends_its_json_body() {
    let harness = start().await;
    let user = harness.client_as(USER_IDENTIFIER, USER_KEY, Tier::User);
    let base = user.website_base();
    let body = DeleteWebsiteBody::new(verify(Some(VERIFY_SECRET)));

    base.delete_website(WEBSITE, &body).await.unwrap();
    assert_eq!(
        harness.last_call(),
        Call::DeleteWebsite {
            website_id: WEBSITE.to_owned(),
            body: body.clone()
        }
    );
    let request = harness.last_request();
    assert_eq!(request.method, "DELETE");
    assert_eq!(request.uri, format!("/v1/website/{WEBSITE}"));
    assert_eq!(
        serde_json::from_str::<Value>(&request.body).unwrap(),
        json!({"verify": {"method": "password", "secret": VERIFY_SECRET}})
    );
    assert!(harness.state().website_deleted);

    // The website is gone now: reading it is a 404.
    let error = base.get_website(WEBSITE).await.unwrap_err();
    assert_api_error(&error, 404, "not_found");

    // A wrong secret reaches the implementation too, and its 403 reaches the caller.
    let harness = start().await;
    let wrong = DeleteWebsiteBody::new(verify(None));
    let error = harness
        .client_as(USER_IDENTIFIER, USER_KEY, Tier::User)
        .website_base()
        .delete_website(WEBSITE, &wrong)
        .await
        .unwrap_err();
    assert_api_error(&error, 403, "not_allowed");
    assert_eq!(error.message(), Some("the verification does not match"));

    // A plugin token may not delete a website: refused before the implementation runs.
    let calls_before = harness.calls().len();
    let error = harness
        .client
        .website_base()
        .delete_website(WEBSITE, &wrong)
        .await
        .unwrap_err();
    assert_api_error(&error, 403, "not_allowed");
    assert_eq!(
        error.message(),
        Some("`deleteWebsite` is not available to plugin tokens")
    );
    assert_eq!(
        harness.calls().len(),
        calls_before,
        "the implementation did not run"
    );
    assert_eq!(
        harness.last_call(),
        Call::DeleteWebsite {
            website_id: WEBSITE.to_owned(),
            body: wrong
        }
    );
    assert!(!harness.state().website_deleted);
}

#[tokio::test]
async fn assign_routing_tells_absent_from_null() {
    let harness = start().await;
    let conversations = harness.conversations();
    let routing = conversations
        .get_conversation_routing_assign(WEBSITE, "session_alpha")
        .await
        .unwrap();
    assert_eq!(routing.assigned, Some(assigned("operator-1")));

    // `assigned` set to null, `silent` left out.
    let mut unassign = AssignConversationRoutingBody::default();
    unassign.assigned = Patch::Null;
    conversations
        .assign_conversation_routing(WEBSITE, "session_alpha", &unassign)
        .await
        .unwrap();
    let Call::AssignRouting { session_id, body } = harness.last_call() else {
        panic!("unexpected call");
    };
    assert_eq!(session_id, "session_alpha");
    assert_eq!(body.assigned, Patch::Null);
    assert_eq!(body.silent, None);
    let request = harness.last_request();
    assert_eq!(request.method, "PATCH");
    assert_eq!(request.body, r#"{"assigned":null}"#);
    let routing = conversations
        .get_conversation_routing_assign(WEBSITE, "session_alpha")
        .await
        .unwrap();
    assert_eq!(routing.assigned, None);

    // A value, with `silent` set.
    let mut assign = AssignConversationRoutingBody::default();
    assign.assigned = Patch::Value(assigned("operator-2"));
    assign.silent = Some(true);
    conversations
        .assign_conversation_routing(WEBSITE, "session_alpha", &assign)
        .await
        .unwrap();
    assert_eq!(
        harness.last_call(),
        Call::AssignRouting {
            session_id: "session_alpha".to_owned(),
            body: assign
        }
    );
    let routing = conversations
        .get_conversation_routing_assign(WEBSITE, "session_alpha")
        .await
        .unwrap();
    assert_eq!(
        routing.assigned.and_then(|a| a.user_id).as_deref(),
        Some("operator-2")
    );

    // Both left out: an empty object on the wire, nothing changes.
    conversations
        .assign_conversation_routing(
            WEBSITE,
            "session_alpha",
            &AssignConversationRoutingBody::default(),
        )
        .await
        .unwrap();
    assert_eq!(harness.last_request().body, "{}");
    let routing = conversations
        .get_conversation_routing_assign(WEBSITE, "session_alpha")
        .await
        .unwrap();
    assert_eq!(
        routing.assigned.and_then(|a| a.user_id).as_deref(),
        Some("operator-2")
    );
}

#[tokio::test]
async fn assign_routing_raw_json_has_three_states() {
    let harness = start().await;
    let path = format!("/v1/website/{WEBSITE}/conversation/session_alpha/routing");
    let received = |harness: &Harness| match harness.last_call() {
        Call::AssignRouting { body, .. } => body.assigned,
        other => panic!("unexpected call {other:?}"),
    };
    let assigned_user = |harness: &Harness| {
        harness.state().conversations["session_alpha"]
            .assigned
            .as_ref()
            .and_then(|assigned| assigned.user_id.clone())
    };

    let answer = harness
        .raw(Method::PATCH, &path, Auth::Valid, Some("{}"))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body, json!({"error": false, "reason": "resolved"}));
    assert_eq!(received(&harness), Patch::Absent);
    assert_eq!(assigned_user(&harness).as_deref(), Some("operator-1"));

    let answer = harness
        .raw(
            Method::PATCH,
            &path,
            Auth::Valid,
            Some(r#"{"assigned": null}"#),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(received(&harness), Patch::Null);
    assert_eq!(assigned_user(&harness), None);

    let answer = harness
        .raw(
            Method::PATCH,
            &path,
            Auth::Valid,
            Some(r#"{"assigned": {"user_id": "operator-3"}}"#),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(received(&harness), Patch::Value(assigned("operator-3")));
    assert_eq!(assigned_user(&harness).as_deref(), Some("operator-3"));

    // The client decodes what the server now answers.
    let routing = harness
        .conversations()
        .get_conversation_routing_assign(WEBSITE, "session_alpha")
        .await
        .unwrap();
    assert_eq!(
        routing.assigned.and_then(|a| a.user_id).as_deref(),
        Some("operator-3")
    );
}

#[tokio::test]
async fn conversation_state_round_trips_including_unknown_values() {
    let harness = start().await;
    let conversations = harness.conversations();
    let session = "session_gamma";

    let state = conversations
        .get_conversation_state(WEBSITE, session)
        .await
        .unwrap();
    assert_eq!(state.state, Some(ConversationState::Pending));

    let mut resolve = ChangeConversationStateBody::new(ConversationState::Resolved);
    resolve.user = Some(operator());
    resolve.origin = Some("urn:crisp.im:slack:0".to_owned());
    conversations
        .change_conversation_state(WEBSITE, session, &resolve)
        .await
        .unwrap();
    assert_eq!(
        harness.last_call(),
        Call::ChangeState {
            session_id: session.to_owned(),
            body: resolve
        }
    );
    let state = conversations
        .get_conversation_state(WEBSITE, session)
        .await
        .unwrap();
    assert_eq!(state.state, Some(ConversationState::Resolved));

    // A state this version does not know travels both ways and is kept.
    let snooze = ChangeConversationStateBody::new(ConversationState::Other("snoozed".to_owned()));
    conversations
        .change_conversation_state(WEBSITE, session, &snooze)
        .await
        .unwrap();
    assert_eq!(harness.last_request().body, r#"{"state":"snoozed"}"#);
    assert_eq!(
        harness.last_call(),
        Call::ChangeState {
            session_id: session.to_owned(),
            body: snooze
        }
    );
    let state = conversations
        .get_conversation_state(WEBSITE, session)
        .await
        .unwrap();
    assert_eq!(
        state.state,
        Some(ConversationState::Other("snoozed".to_owned()))
    );
    let found = conversations
        .get_conversation(WEBSITE, session)
        .await
        .unwrap();
    assert_eq!(
        found.state,
        Some(ConversationState::Other("snoozed".to_owned()))
    );
    assert_eq!(
        found.state.as_ref().map(ConversationState::as_str),
        Some("snoozed")
    );
}

#[tokio::test]
async fn conversation_metas_round_trip_nested_objects_and_custom_data() {
    let harness = start().await;
    let conversations = harness.conversations();
    let session = "session_delta";
    let mut connection = ConversationMetaConnection::default();
    connection.isp = Some("Example Telecom".to_owned());
    connection.asn = Some("AS64500".to_owned());
    let mut coordinates = ConversationDeviceGeolocationCoordinates::default();
    coordinates.latitude = Some(47.218_1);
    coordinates.longitude = Some(-1.553_6);
    let mut geolocation = ConversationDeviceGeolocation::default();
    geolocation.country = Some("FR".to_owned());
    geolocation.region = Some("Bretagne".to_owned());
    geolocation.city = Some("Nantes".to_owned());
    geolocation.coordinates = Some(coordinates);
    let mut os = ConversationDeviceSystemOs::default();
    os.version = Some("14".to_owned());
    os.name = Some("macOS".to_owned());
    let mut browser = ConversationDeviceSystemBrowser::default();
    browser.major = Some("126".to_owned());
    browser.version = Some("126.0.1".to_owned());
    browser.name = Some("Firefox".to_owned());
    let mut system = ConversationDeviceSystem::default();
    system.os = Some(os);
    system.browser = Some(browser);
    system.useragent = Some("Mozilla/5.0".to_owned());
    let mut device = ConversationDevice::default();
    device.capabilities = Some(vec!["browsing".to_owned(), "call".to_owned()]);
    device.geolocation = Some(geolocation);
    device.system = Some(system);
    device.timezone = Some(-120);
    device.locales = Some(vec!["fr".to_owned(), "en".to_owned()]);
    let mut meta = ConversationMeta::default();
    meta.nickname = Some("Dana Ó'Brien".to_owned());
    meta.email = Some("dana@example.com".to_owned());
    meta.ip = Some("203.0.113.7".to_owned());
    meta.data = Some(BTreeMap::from([
        ("plan".to_owned(), CustomDataValue::String("pro".to_owned())),
        ("seats".to_owned(), CustomDataValue::Number(12.0)),
        ("trial".to_owned(), CustomDataValue::Bool(false)),
    ]));
    meta.connection = Some(connection);
    meta.device = Some(device);
    meta.segments = Some(vec!["vip".to_owned()]);
    meta.subject = Some("Billing".to_owned());

    conversations
        .update_conversation_metas(WEBSITE, session, &meta)
        .await
        .unwrap();
    assert_eq!(
        harness.last_call(),
        Call::UpdateMetas {
            session_id: session.to_owned(),
            body: meta.clone()
        }
    );
    let read = conversations
        .get_conversation_metas(WEBSITE, session)
        .await
        .unwrap();
    assert_eq!(read, meta);
    assert_eq!(
        read.data.as_ref().and_then(|data| data.get("seats")),
        Some(&CustomDataValue::Number(12.0))
    );
    assert_eq!(
        read.device.as_ref().and_then(|device| device.timezone),
        Some(-120)
    );

    // A partial update: the server sees only the field sent, the rest is kept.
    let mut phone_only = ConversationMeta::default();
    phone_only.phone = Some("+33 6 00 00 00 00".to_owned());
    phone_only.data = Some(BTreeMap::from([(
        "trial".to_owned(),
        CustomDataValue::Bool(true),
    )]));
    conversations
        .update_conversation_metas(WEBSITE, session, &phone_only)
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&harness.last_request().body).unwrap(),
        json!({"phone": "+33 6 00 00 00 00", "data": {"trial": true}})
    );
    let Call::UpdateMetas { body, .. } = harness.last_call() else {
        panic!("unexpected call");
    };
    assert_eq!(body.nickname, None);
    assert_eq!(body.device, None);
    let read = conversations
        .get_conversation_metas(WEBSITE, session)
        .await
        .unwrap();
    assert_eq!(read.phone.as_deref(), Some("+33 6 00 00 00 00"));
    assert_eq!(read.nickname.as_deref(), Some("Dana Ó'Brien"));
    assert_eq!(read.device, meta.device);
    let data = read.data.expect("data");
    assert_eq!(data.get("trial"), Some(&CustomDataValue::Bool(true)));
    assert_eq!(
        data.get("plan"),
        Some(&CustomDataValue::String("pro".to_owned()))
    );
    assert_eq!(
        harness
            .calls()
            .iter()
            .filter(|call| matches!(call, Call::GetMetas { .. }))
            .count(),
        2
    );
}

#[tokio::test]
async fn relations_decode_absent_null_and_value_parents() {
    let harness = start().await;
    let conversations = harness.conversations();

    let root = conversations
        .get_conversation_relations(WEBSITE, "session_alpha")
        .await
        .unwrap();
    let root = root.conversations.expect("conversations");
    assert_eq!(root.parent, Patch::Null);
    assert_eq!(root.children, Some(vec!["session_beta".to_owned()]));

    let child = conversations
        .get_conversation_relations(WEBSITE, "session_beta")
        .await
        .unwrap();
    let child = child.conversations.expect("conversations");
    assert_eq!(child.parent, Patch::Value("session_alpha".to_owned()));
    assert_eq!(child.children, Some(Vec::new()));

    let unknown = conversations
        .get_conversation_relations(WEBSITE, "session_gamma")
        .await
        .unwrap();
    assert_eq!(
        unknown.conversations.expect("conversations").parent,
        Patch::Absent
    );

    assert_eq!(
        harness.calls(),
        [
            Call::GetRelations {
                session_id: "session_alpha".to_owned()
            },
            Call::GetRelations {
                session_id: "session_beta".to_owned()
            },
            Call::GetRelations {
                session_id: "session_gamma".to_owned()
            },
        ]
    );
}
