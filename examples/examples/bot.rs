//! A web hook bot: answers every message a visitor writes.
//!
//! ```sh
//! export CRISP_IDENTIFIER=… CRISP_KEY=… CRISP_WEBHOOK_SECRET=…
//! cargo run -p crisp-examples --example bot -- --listen 127.0.0.1:8090
//! ```
//!
//! Then set the plugin's web hook URL to `http://<host>:8090/crisp/hooks` (or, locally, start
//! `crisp-sandbox --webhook http://127.0.0.1:8090/crisp/hooks --webhook-secret …`) and write in
//! a conversation as a visitor: the bot answers in the same conversation.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use crisp_client::{Client, tier};
use crisp_examples::bot;
use crisp_runtime::webhook::Verifier;

/// Answers visitors' messages, from Crisp web hooks.
#[derive(Parser)]
struct Args {
    /// The address to receive web hooks on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
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
    // The plugin's signing secret, shown in the Marketplace next to the web hook URL.
    let secret = std::env::var("CRISP_WEBHOOK_SECRET")
        .map_err(|_| "set CRISP_WEBHOOK_SECRET to the plugin's web hook signing secret")?;
    let app = bot::router(client, Verifier::new(secret));
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("bot: listening on http://{}{}", listener.local_addr()?, bot::HOOK_PATH);
    axum::serve(listener, app).await?;
    Ok(())
}
