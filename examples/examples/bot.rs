//! A bot that answers every message a visitor writes: over the real-time API by default, or
//! from web hooks.
//!
//! ```sh
//! export CRISP_IDENTIFIER=… CRISP_KEY=…
//! cargo run -p crisp-examples --example bot
//! ```
//!
//! It asks Crisp where the real-time socket of the plugin token is, listens to `message:send`
//! and answers in the same conversation. Against a local sandbox (`crisp-sandbox`), point the
//! client at it with `CRISP_BASE_URL=http://127.0.0.1:8080/v1`: the sandbox names its own
//! socket.
//!
//! With `--webhooks`, it receives signed web hooks instead, on `--listen` (set the plugin's web
//! hook URL to `http://<host>:8090/crisp/hooks`, or start `crisp-sandbox --webhook
//! http://127.0.0.1:8090/crisp/hooks --webhook-secret …`), with the signing secret in
//! `CRISP_WEBHOOK_SECRET`.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use crisp_client::{Client, tier};
use crisp_examples::bot;
use crisp_runtime::webhook::Verifier;

/// Answers visitors' messages, from Crisp's real-time API or its web hooks.
#[derive(Parser)]
struct Args {
    /// Receive web hooks instead of listening over the real-time API.
    #[arg(long)]
    webhooks: bool,
    /// The address to receive web hooks on (with `--webhooks`).
    #[arg(long, default_value = "127.0.0.1:8090", requires = "webhooks")]
    listen: SocketAddr,
    /// The real-time socket to connect to, instead of the one Crisp names for the token.
    #[arg(long, value_name = "URL", conflicts_with = "webhooks")]
    endpoint: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bot: error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    // The plugin token from CRISP_IDENTIFIER / CRISP_KEY (and CRISP_BASE_URL for a sandbox).
    let client = Client::<tier::Plugin>::from_env()?;
    if !args.webhooks {
        let events = bot::subscribe(&client, args.endpoint);
        println!("bot: listening to visitors' messages in real time");
        bot::listen(client, events).await?;
        return Ok(());
    }
    // The plugin's signing secret, shown in the Marketplace next to the web hook URL.
    let secret = std::env::var("CRISP_WEBHOOK_SECRET")
        .map_err(|_| "set CRISP_WEBHOOK_SECRET to the plugin's web hook signing secret")?;
    let app = bot::router(client, Verifier::new(secret));
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!(
        "bot: listening on http://{}{}",
        listener.local_addr()?,
        bot::HOOK_PATH
    );
    axum::serve(listener, app).await?;
    Ok(())
}
