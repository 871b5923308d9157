//! Tiers and credentials: a token of the wrong tier is refused when the client is built, and
//! the key never shows in the `Debug` output of a builder, a client or a configuration.

use crisp_client::tier::ClientTier;
use crisp_client::{Client, Error, Tier, tier};
use crisp_runtime::client::ClientConfig;

use super::harness::{
    IDENTIFIER, KEY, Reply, SESSION, WEBSITE, assert_authenticated, assert_error_secret_free,
    assert_secret_free, conversation, serve,
};

/// The variables `from_env` would read; `CRISP_TIER` only when `tier` is given.
fn env(tier: Option<&str>, base_url: &str) -> impl Fn(&str) -> Option<String> {
    let mut vars = vec![
        ("CRISP_IDENTIFIER", IDENTIFIER.to_owned()),
        ("CRISP_KEY", KEY.to_owned()),
        ("CRISP_BASE_URL", base_url.to_owned()),
    ];
    if let Some(tier) = tier {
        vars.push(("CRISP_TIER", tier.to_owned()));
    }
    move |name| {
        vars.iter()
            .find(|(var, _)| *var == name)
            .map(|(_, value)| value.clone())
    }
}

/// What `Client::<T>::from_env` does, reading `vars` instead of the process environment
/// (changing it would race with the other tests).
fn from_vars<T: ClientTier>(vars: impl Fn(&str) -> Option<String>) -> Result<Client<T>, Error> {
    Client::<T>::from_config(ClientConfig::from_lookup(vars, T::TIER)?)
}

#[tokio::test]
async fn the_tier_is_checked_at_run_time() {
    let server = serve(|_, _| Reply::ok(conversation(SESSION))).await;
    let base_url = server.base_url();
    let vars = |tier| env(tier, &base_url);

    // `CRISP_TIER` names the other tier.
    let error = from_vars::<tier::Plugin>(vars(Some("user")))
        .expect_err("a user token for a plugin client");
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    assert!(
        error.to_string().contains("`user`") && error.to_string().contains("`plugin`"),
        "{error}"
    );
    assert_error_secret_free(&error);
    let error = from_vars::<tier::User>(vars(Some("plugin")))
        .expect_err("a plugin token for a user client");
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    assert_error_secret_free(&error);
    // A configuration read for any tier, handed to a client of the other one.
    let config =
        ClientConfig::from_lookup(vars(Some("user")), None).expect("a complete environment");
    let error =
        Client::<tier::Plugin>::from_config(config).expect_err("a user token in a plugin client");
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    assert!(error.to_string().contains("tier `user`"), "{error}");
    assert_error_secret_free(&error);
    // No such tier, or no tier where the client's type does not fix one.
    let error = from_vars::<tier::Plugin>(vars(Some("admin"))).expect_err("no such tier");
    assert!(
        matches!(error, Error::Config { .. }) && error.to_string().contains("CRISP_TIER"),
        "{error:?}"
    );
    assert_error_secret_free(&error);
    let error =
        from_vars::<tier::Dynamic>(vars(None)).expect_err("a dynamic client needs CRISP_TIER");
    assert!(
        matches!(error, Error::Config { .. }) && error.to_string().contains("CRISP_TIER"),
        "{error:?}"
    );
    assert_error_secret_free(&error);

    let plugin = from_vars::<tier::Plugin>(vars(Some("plugin"))).expect("the right tier");
    assert_eq!(plugin.tier(), Tier::Plugin);
    assert_eq!(plugin.base_url(), base_url);
    let implied = from_vars::<tier::Plugin>(vars(None)).expect("the client's type fixes the tier");
    assert_eq!(implied.tier(), Tier::Plugin);
    let dynamic = from_vars::<tier::Dynamic>(vars(Some("user"))).expect("any tier");
    assert_eq!(dynamic.tier(), Tier::User);
    plugin
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect("plugin call");
    implied
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect("plugin call");
    dynamic
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect("user call");
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert_authenticated(&seen[..2], "plugin");
    assert_authenticated(&seen[2..], "user");
}

#[tokio::test]
async fn the_key_stays_out_of_debug_output() {
    let builder = Client::builder()
        .plugin(IDENTIFIER, KEY)
        .base_url("http://127.0.0.1:9/v1");
    let debug = format!("{builder:?}");
    assert_secret_free(&debug);
    assert!(debug.contains(IDENTIFIER), "{debug}");
    let client = builder.build().expect("a client");
    let debug = format!("{client:?} {:?}", client.website_conversation());
    assert_secret_free(&debug);
    assert!(debug.contains(IDENTIFIER), "{debug}");
    let config = ClientConfig::from_lookup(env(Some("plugin"), "http://127.0.0.1:9/v1"), None)
        .expect("a complete environment");
    assert_secret_free(&format!("{config:?}"));
    let user = Client::builder()
        .user(IDENTIFIER, KEY)
        .build()
        .expect("a client");
    assert_secret_free(&format!("{user:?}"));
    let dynamic =
        Client::builder().credentials(crisp_client::Credentials::new(IDENTIFIER, KEY, Tier::User));
    assert_secret_free(&format!("{dynamic:?}"));
    // A base URL carrying credentials is refused without repeating them.
    let error = Client::builder()
        .plugin(IDENTIFIER, KEY)
        .base_url(format!("http://{IDENTIFIER}:{KEY}@127.0.0.1:9/v1"))
        .build()
        .expect_err("credentials in the URL");
    assert_error_secret_free(&error);
}
