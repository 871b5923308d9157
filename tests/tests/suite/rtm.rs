//! The sandbox's real-time (RTM) API from the REST side, without Node: where its
//! `connect/endpoints` operations point, and that `/rtm/` is served in stateful mode only.

use crisp_models::{ConnectEndpoints, ConnectEndpointsRescue, ConnectEndpointsSocket};
use crisp_sandbox::state::SEED_WEBSITE_ID;
use crisp_sandbox::{Config, Mode};
use serde_json::Value;

use crate::sandbox::{PLUGIN, Running, config};

/// What `connect/endpoints` answers when every endpoint is `url` (`stream` for websites).
fn everywhere(url: &str, stream: bool) -> ConnectEndpoints {
    let mut socket = ConnectEndpointsSocket::default();
    socket.app = Some(url.to_owned());
    socket.stream = stream.then(|| url.to_owned());
    let mut rescue = ConnectEndpointsRescue::default();
    rescue.socket = Some(socket.clone());
    let mut endpoints = ConnectEndpoints::default();
    endpoints.socket = Some(socket);
    endpoints.rescue = Some(rescue);
    endpoints
}

/// `GET {base}{path}` with the plugin token and the `Host` header `host`; the answer's
/// `data.socket.app`.
async fn socket_app_with_host(base: &str, path: &str, host: &str) -> String {
    let body = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .basic_auth(PLUGIN.0, Some(PLUGIN.1))
        .header("X-Crisp-Tier", "plugin")
        .header(reqwest::header::HOST, host)
        .send()
        .await
        .expect("an answer")
        .bytes()
        .await
        .expect("a body");
    let answer: Value = serde_json::from_slice(&body).expect("a JSON answer");
    answer["data"]["socket"]["app"]
        .as_str()
        .unwrap_or_else(|| panic!("no data.socket.app in {answer}"))
        .to_owned()
}

#[tokio::test]
async fn connect_endpoints_point_to_the_sandboxs_own_socket() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let url = format!("ws://{}/rtm/", sandbox.address());

    let plugin = sandbox
        .plugin()
        .plugin_connect()
        .get_plugin_connect_endpoints()
        .await
        .expect("the plugin endpoints");
    assert_eq!(plugin, everywhere(&url, false));
    let user = sandbox
        .user()
        .user_connect()
        .get_user_connect_endpoints()
        .await
        .expect("the user endpoints");
    assert_eq!(user, everywhere(&url, false));
    let website = sandbox
        .plugin()
        .website_connect()
        .get_website_connect_endpoints(SEED_WEBSITE_ID)
        .await
        .expect("the website endpoints");
    assert_eq!(website, everywhere(&url, true));
    let unknown = sandbox
        .plugin()
        .website_connect()
        .get_website_connect_endpoints("0d8e7a9c-0000-4000-8000-000000000000")
        .await
        .expect_err("no such website");
    assert!(unknown.is_not_found(), "{unknown}");

    // Whatever name the client used for the sandbox is the one it is sent back to.
    let app = socket_app_with_host(
        sandbox.base(),
        "/plugin/connect/endpoints",
        "sandbox.test:8080",
    )
    .await;
    assert_eq!(app, "ws://sandbox.test:8080/rtm/");
    sandbox.stop().await;
}

#[tokio::test]
async fn connect_endpoints_answer_the_configured_rtm_url() {
    let config = Config {
        rtm_url: Some(
            "wss://sandbox.example.com/crisp/rtm/"
                .parse()
                .expect("an RTM URL"),
        ),
        ..config(Mode::Stateful)
    };
    let sandbox = Running::start(config).await;
    let plugin = sandbox
        .plugin()
        .plugin_connect()
        .get_plugin_connect_endpoints()
        .await
        .expect("the plugin endpoints");
    assert_eq!(
        plugin,
        everywhere("wss://sandbox.example.com/crisp/rtm/", false)
    );
    // The request's Host does not matter then.
    let app = socket_app_with_host(sandbox.base(), "/plugin/connect/endpoints", "other:1").await;
    assert_eq!(app, "wss://sandbox.example.com/crisp/rtm/");
    sandbox.stop().await;
}

#[tokio::test]
async fn in_examples_mode_connect_endpoints_answer_the_spec_example() {
    let sandbox = Running::start(config(Mode::Examples)).await;
    let plugin = sandbox
        .plugin()
        .plugin_connect()
        .get_plugin_connect_endpoints()
        .await
        .expect("the plugin endpoints");
    let app = plugin.socket.and_then(|socket| socket.app);
    assert_eq!(app.as_deref(), Some("wss://plugins.relay.crisp.chat/"));
    sandbox.stop().await;
}

#[tokio::test]
async fn the_rtm_api_is_served_at_rtm_in_stateful_mode_only() {
    // An engine.io v4 polling handshake: the server answers its `open` packet (`0{…}`).
    let handshake = |base: &str| {
        let origin = base.trim_end_matches("/v1").to_owned();
        async move {
            reqwest::get(format!("{origin}/rtm/?EIO=4&transport=polling"))
                .await
                .expect("an answer")
        }
    };

    let stateful = Running::start(config(Mode::Stateful)).await;
    let answer = handshake(stateful.base()).await;
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    let body = answer.text().await.expect("a body");
    let open: Value = serde_json::from_str(
        body.strip_prefix('0')
            .unwrap_or_else(|| panic!("not an engine.io open packet: {body}")),
    )
    .expect("the open packet's JSON");
    assert!(open["sid"].is_string(), "{open}");
    // The REST API is untouched beside it.
    stateful
        .plugin()
        .website_base()
        .get_website(SEED_WEBSITE_ID)
        .await
        .expect("the REST API still answers");
    stateful.stop().await;

    let examples = Running::start(config(Mode::Examples)).await;
    let answer = handshake(examples.base()).await;
    assert_eq!(answer.status(), reqwest::StatusCode::NOT_FOUND);
    examples.stop().await;
}
