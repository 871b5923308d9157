//! Every operation of the spec, end to end: the generated client calls it with the spec's
//! example inputs against the generated server answering with the spec's examples, the server
//! checks the inputs it received, and the client checks the answer it decoded.

use crisp_client::{Client, Credentials, Tier};
use crisp_server::StaticTokens;
use crisp_server::examples::Examples;

async fn serve(
    service: Examples,
) -> (
    Client<crisp_client::tier::Dynamic>,
    Client<crisp_client::tier::Dynamic>,
) {
    let auth = StaticTokens::new()
        .with_token(Tier::Plugin, "plugin-identifier", "plugin-key")
        .with_token(Tier::User, "user-identifier", "user-key");
    let app = crisp_server::router(auth, service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let base = format!("http://{address}/v1");
    let plugin = crate::support::client(
        Credentials::new("plugin-identifier", "plugin-key", Tier::Plugin),
        &base,
    );
    let user = crate::support::client(
        Credentials::new("user-identifier", "user-key", Tier::User),
        &base,
    );
    (plugin, user)
}

#[tokio::test]
async fn every_operation_round_trips_its_examples() {
    let (plugin, user) = serve(Examples::strict()).await;
    let spec = crisp_codegen::load::load_path(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/crisp.yaml")),
        "spec/crisp.yaml",
    )
    .expect("the spec loads");
    let operations = crisp_codegen::ir::build(&spec)
        .expect("the spec lowers")
        .operations
        .len();
    let mut failures = Vec::new();
    let mut proven = std::collections::BTreeSet::new();
    for (tier, client) in [(Tier::Plugin, &plugin), (Tier::User, &user)] {
        let calls = crisp_client::examples::call_every_operation(client).await;
        assert_eq!(
            calls.len(),
            operations,
            "one call per operation of the spec"
        );
        crate::support::judge_example_calls(tier, calls, &mut proven, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} failures in the example round trips:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        proven.len(),
        operations,
        "every operation round-trips with a tier it admits"
    );
}

#[tokio::test]
async fn the_strict_server_names_an_input_that_is_not_the_example() {
    let (client, _) = serve(Examples::strict()).await;
    let error = client
        .website_conversation()
        .get_conversation("not-the-example-website", "not-the-example-session")
        .await
        .expect_err("inputs other than the examples are refused");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(
        error.reason().map(crisp_client::Reason::as_str),
        Some("invalid_data")
    );
    let message = error.message().unwrap_or_default();
    assert!(
        message
            .starts_with("getConversation: the request differs from the example at `session_id`"),
        "{message}"
    );
}

#[tokio::test]
async fn the_lenient_server_answers_any_valid_input_with_the_example() {
    let (client, _) = serve(Examples::new()).await;
    let conversation = client
        .website_conversation()
        .get_conversation("any-website", "any-session")
        .await
        .expect("the example conversation");
    // Any inputs get the spec's example conversation, whatever ids were asked for.
    assert_eq!(
        conversation.session_id,
        "session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881"
    );
    assert_eq!(
        conversation.website_id,
        "8c842203-7ed8-4e29-a608-7cf78a7d2fcc"
    );
}
