//! Every operation of the spec, end to end: the generated client calls it with the spec's
//! example inputs against the generated server answering with the spec's examples, the server
//! checks the inputs it received, and the client checks the answer it decoded.

use crisp_client::{Client, Credentials, Tier};
use crisp_server::StaticTokens;
use crisp_server::examples::Examples;

async fn serve(service: Examples) -> Client {
    let auth = StaticTokens::new().with_token(Tier::Plugin, "example-identifier", "example-key");
    let app = crisp_server::router(auth, service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Client::with_base_url(
        Credentials::new("example-identifier", "example-key", Tier::Plugin),
        &format!("http://{address}/v1"),
    )
    .expect("a client for the loopback server")
}

#[tokio::test]
async fn every_operation_round_trips_its_examples() {
    let client = serve(Examples::strict()).await;
    let calls = crisp_client::examples::call_every_operation(&client).await;
    let spec = crisp_codegen::load::load_path(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/crisp.yaml")), "spec/crisp.yaml")
        .expect("the spec loads");
    let operations = crisp_codegen::ir::lower::lower(&spec).expect("the spec lowers").operations.len();
    assert_eq!(calls.len(), operations, "one call per operation of the spec");
    let failures: Vec<String> = calls
        .iter()
        .filter_map(|call| call.outcome.as_ref().err().map(|error| format!("- {}: {error}", call.operation)))
        .collect();
    assert!(failures.is_empty(), "{} of {} operations fail their example round trip:\n{}", failures.len(), calls.len(), failures.join("\n"));
}

#[tokio::test]
async fn the_strict_server_names_an_input_that_is_not_the_example() {
    let client = serve(Examples::strict()).await;
    let error = client
        .website_conversation()
        .get_conversation("not-the-example-website", "not-the-example-session")
        .await
        .expect_err("inputs other than the examples are refused");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(error.reason(), Some("invalid_data"));
    let message = error.message().unwrap_or_default();
    assert!(message.starts_with("getConversation: the request differs from the example at `session_id`"), "{message}");
}

#[tokio::test]
async fn the_lenient_server_answers_any_valid_input_with_the_example() {
    let client = serve(Examples::new()).await;
    let conversation = client
        .website_conversation()
        .get_conversation("any-website", "any-session")
        .await
        .expect("the example conversation");
    assert!(!conversation.session_id.is_empty());
}
