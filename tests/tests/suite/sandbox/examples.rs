//! Examples mode answers every operation with the spec's example, whatever the ids; the
//! stateful mode answers what its state does not implement with the example too.

use crisp_client::Tier;
use crisp_models::{ConversationState, ListCampaignsOptions};
use crisp_sandbox::Mode;
use crisp_sandbox::state::SEED_WEBSITE_ID;
use crisp_server::examples::Examples;
use crisp_server::{WebsiteBase, WebsiteCampaigns, WebsiteConversation, WebsiteOperator};
use serde_json::json;

use super::harness::{Running, config, example_caller, failure};

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
