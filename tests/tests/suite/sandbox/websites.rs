//! Operators, visitors and websites, as the sandbox's state holds them: the seeded operator,
//! the visitors of the conversations made, and a website a user creates, owns and deletes.

use crisp_models::{CreateWebsiteBody, DeleteWebsiteBody, DeleteWebsiteBodyVerify};
use crisp_sandbox::Mode;
use crisp_sandbox::state::{SEED_OPERATOR_ID, SEED_WEBSITE_ID};

use super::harness::{Running, USER, config, failure};

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
    let mut shop = CreateWebsiteBody::default();
    shop.name = Some("Sandbox Shop".to_owned());
    shop.domain = Some("shop.example.org".to_owned());
    let created = user
        .website_base()
        .create_website(&shop)
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
    let mut verify = DeleteWebsiteBodyVerify::default();
    verify.method = Some("password".to_owned());
    verify.secret = Some("secret".to_owned());
    user.website_base()
        .delete_website(&id, &DeleteWebsiteBody::new(verify))
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
