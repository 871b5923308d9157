//! The `crisp-sandbox` command: a local Crisp REST API server.
//!
//! ```text
//! crisp-sandbox --listen 127.0.0.1:8080 --mode stateful|examples \
//!     --token TIER:IDENTIFIER:KEY[:SCOPES] ... --state FILE --body-limit BYTES \
//!     --webhook URL ... --webhook-secret SECRET --webhook-attempts N --webhook-retry-delay MS \
//!     --rtm-url URL
//! ```
//!
//! With no `--token`, a random plugin token is made and printed on standard output as
//! `plugin:IDENTIFIER:KEY`. The stateful sandbox sends Crisp's real-time events for what
//! happens in it over socket.io at `/rtm/` (where its `connect/endpoints` operations point,
//! or `--rtm-url` when it sits behind a proxy) and, with `--webhook`, as signed web hooks. The
//! log (one line per request, per web hook attempt and per real-time connection, never
//! credentials, secrets or bodies) goes to standard error. Ctrl-C or SIGTERM stops it
//! cleanly, saving the state to `--state FILE`.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use crisp_sandbox::rtm::RTM_PATH;
use crisp_sandbox::webhooks::{DEFAULT_ATTEMPTS, DEFAULT_RETRY_DELAY};
use crisp_sandbox::{Config, DEFAULT_BODY_LIMIT, Mode, RtmUrl, Token, WebhookConfig, WebhookUrl};

/// A local Crisp REST API server to develop and test against.
#[derive(Debug, Parser)]
#[command(name = "crisp-sandbox", version, about, long_about = None)]
struct Args {
    /// The address to listen on.
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// `stateful`: an in-memory Crisp, other operations answer their examples;
    /// `examples`: every operation answers its example from the spec.
    #[arg(long, value_name = "MODE", default_value = "stateful")]
    mode: Mode,
    /// A token to accept, e.g. `user:ID:KEY` or `plugin:ID:KEY:website:conversation:sessions=write`
    /// (scopes `scope=read|write,...`, all when left out). May repeat; with none, a plugin
    /// token is made and printed.
    #[arg(long = "token", value_name = "TIER:IDENTIFIER:KEY[:SCOPES]")]
    tokens: Vec<Token>,
    /// Load the state from FILE at start (if it exists) and save it there on shutdown.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// The largest request body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// Deliver web hooks for what happens in the stateful sandbox to URL (http or https), as
    /// Crisp delivers a plugin's hooks. May repeat; needs --webhook-secret.
    #[arg(long = "webhook", value_name = "URL", requires = "webhook_secret")]
    webhooks: Vec<WebhookUrl>,
    /// The plugin signing secret the web hooks are signed with (X-Crisp-Signature).
    #[arg(long, value_name = "SECRET", requires = "webhooks")]
    webhook_secret: Option<String>,
    /// How many attempts are made at delivering one web hook, until one is answered 200.
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_ATTEMPTS,
        value_parser = clap::value_parser!(u32).range(1..=100)
    )]
    webhook_attempts: u32,
    /// The delay before the first retry of a web hook, in milliseconds; it doubles at each
    /// retry, up to a minute.
    #[arg(long, value_name = "MS", default_value_t = millis(DEFAULT_RETRY_DELAY))]
    webhook_retry_delay: u64,
    /// The real-time (RTM) socket URL the `connect/endpoints` operations answer, e.g.
    /// `wss://sandbox.example.com/rtm/` behind a proxy (which must forward it to /rtm/ here);
    /// by default, `ws://<the request's Host>/rtm/`.
    #[arg(long, value_name = "URL")]
    rtm_url: Option<RtmUrl>,
}

/// A duration in whole milliseconds, for a default value.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Fails only if a subscriber is already installed, which leaves logging as it is.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("crisp-sandbox: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(start(args))
}

/// Binds, prints the generated token if any, serves until a signal, saves the state.
async fn start(args: Args) -> ExitCode {
    let webhooks = args.webhook_secret.map(|secret| WebhookConfig {
        attempts: args.webhook_attempts,
        retry_delay: Duration::from_millis(args.webhook_retry_delay),
        ..WebhookConfig::new(args.webhooks, secret)
    });
    let mut config = Config {
        mode: args.mode,
        tokens: args.tokens,
        body_limit: args.body_limit,
        state_file: args.state,
        webhooks,
        rtm_url: args.rtm_url,
    };
    if config.mode == Mode::Examples && config.state_file.is_some() {
        tracing::warn!("--state is ignored in examples mode, which keeps no state");
    }
    if config.mode == Mode::Examples && config.webhooks.is_some() {
        tracing::warn!("--webhook is ignored in examples mode, where nothing happens");
    }
    if config.mode == Mode::Examples && config.rtm_url.is_some() {
        tracing::warn!("--rtm-url is ignored in examples mode, which serves no real-time API");
    }
    if let Some(token) = config.ensure_token() {
        println!("{}", token.credentials());
    }
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("crisp-sandbox: cannot listen on {}: {error}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let address = listener.local_addr().unwrap_or(args.listen);
    tracing::info!(
        "serving the Crisp REST API at http://{address}/v1 in {} mode",
        config.mode
    );
    if let Some(path) = &config.state_file {
        tracing::info!("state file: {}", path.display());
    }
    if config.mode == Mode::Stateful {
        tracing::info!("serving real-time events (RTM, socket.io) at ws://{address}{RTM_PATH}");
        if let Some(url) = &config.rtm_url {
            tracing::info!("connect/endpoints answer the RTM URL {url}");
        }
    }
    if let (Mode::Stateful, Some(webhooks)) = (config.mode, &config.webhooks) {
        for url in &webhooks.urls {
            tracing::info!("delivering web hooks to {url}");
        }
    }
    match crisp_sandbox::run(config, listener, shutdown_signal()).await {
        Ok(_) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("crisp-sandbox: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on Ctrl-C or, on Unix, SIGTERM. A signal that cannot be listened for is ignored
/// (it then never completes this future).
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn web_hooks_repeat_and_need_a_secret() {
        let args = Args::try_parse_from([
            "crisp-sandbox",
            "--webhook",
            "http://127.0.0.1:9000/hooks",
            "--webhook",
            "https://hooks.example.com/crisp?key=k",
            "--webhook-secret",
            "s3cr3t",
            "--webhook-attempts",
            "3",
        ])
        .expect("valid arguments");
        assert_eq!(args.webhooks.len(), 2);
        assert_eq!(args.webhook_secret.as_deref(), Some("s3cr3t"));
        assert_eq!(args.webhook_attempts, 3);
        assert_eq!(args.webhook_retry_delay, 1000);

        let defaults = Args::try_parse_from(["crisp-sandbox"]).expect("no arguments");
        assert!(defaults.webhooks.is_empty());
        assert_eq!(defaults.rtm_url, None);
        assert_eq!(defaults.webhook_attempts, DEFAULT_ATTEMPTS);

        for bad in [
            &["crisp-sandbox", "--webhook", "http://127.0.0.1:9000/"][..],
            &["crisp-sandbox", "--webhook-secret", "s3cr3t"],
            &[
                "crisp-sandbox",
                "--webhook",
                "ftp://example.com/",
                "--webhook-secret",
                "s",
            ],
            &[
                "crisp-sandbox",
                "--webhook",
                "http://a/",
                "--webhook-secret",
                "s",
                "--webhook-attempts",
                "0",
            ],
        ] {
            assert!(Args::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_rtm_url_is_a_websocket_or_http_url() {
        let args = Args::try_parse_from([
            "crisp-sandbox",
            "--rtm-url",
            "wss://sandbox.example.com/rtm/",
        ])
        .expect("valid arguments");
        assert_eq!(
            args.rtm_url.as_ref().map(RtmUrl::as_str),
            Some("wss://sandbox.example.com/rtm/")
        );
        for bad in ["ftp://example.com/", "/rtm/", "sandbox.example.com"] {
            assert!(
                Args::try_parse_from(["crisp-sandbox", "--rtm-url", bad]).is_err(),
                "{bad}"
            );
        }
    }
}
