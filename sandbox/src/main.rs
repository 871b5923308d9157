//! The `crisp-sandbox` command: a local Crisp REST API server.
//!
//! ```text
//! crisp-sandbox --listen 127.0.0.1:8080 --mode stateful|examples \
//!     --token TIER:IDENTIFIER:KEY[:SCOPES] ... --state FILE --body-limit BYTES
//! ```
//!
//! With no `--token`, a random plugin token is made and printed on standard output as
//! `plugin:IDENTIFIER:KEY`. The log (one line per request, never credentials or bodies) goes to
//! standard error. Ctrl-C or SIGTERM stops it cleanly, saving the state to `--state FILE`.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use crisp_sandbox::{Config, DEFAULT_BODY_LIMIT, Mode, Token};

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
    let mut config = Config {
        mode: args.mode,
        tokens: args.tokens,
        body_limit: args.body_limit,
        state_file: args.state,
    };
    if config.mode == Mode::Examples && config.state_file.is_some() {
        tracing::warn!("--state is ignored in examples mode, which keeps no state");
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
