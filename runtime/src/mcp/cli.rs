//! The `crisp-mcp` command and its two transports: standard input and output, or streamable
//! HTTP.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::McpServer;
use super::operation::{Operation, Reach};
use crate::Scopes;
use crate::client::ClientConfig;

/// The environment variable that lists a plugin token's scopes (`scope=read,other=write`, or
/// `*` for a development token, the default).
pub const ENV_SCOPES: &str = "CRISP_SCOPES";

const USAGE: &str = "\
Usage: crisp-mcp [--http ADDRESS] [--scopes SCOPES] [--internal]

Serves the Crisp REST API to an AI agent over the Model Context Protocol, with the token in
CRISP_IDENTIFIER, CRISP_KEY and CRISP_TIER (plugin or user; CRISP_BASE_URL for another Crisp).

  --http ADDRESS   serve streamable HTTP at http://ADDRESS/mcp instead of standard input and
                   output (for example 127.0.0.1:8931)
  --scopes SCOPES  the plugin token's scopes, as scope=read or scope=write separated by
                   commas, or * for every scope (a development token); default: CRISP_SCOPES,
                   else *. Tools beyond them are neither listed nor called.
  --internal       also reach the operations Crisp reserves for its own apps
";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
struct Args {
    http: Option<SocketAddr>,
    scopes: Option<String>,
    internal: bool,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args {
        http: None,
        scopes: None,
        internal: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--internal" => parsed.internal = true,
            "--http" => {
                let value = args
                    .next()
                    .ok_or("--http needs an address, such as 127.0.0.1:8931")?;
                parsed.http = Some(value.parse().map_err(|error| {
                    format!("--http {value}: {error} (give an address such as 127.0.0.1:8931)")
                })?);
            }
            "--scopes" => {
                parsed.scopes = Some(args.next().ok_or("--scopes needs a list of scopes")?);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(parsed))
}

/// The whole `crisp-mcp` command over `operations`: reads the arguments and the token from the
/// environment, then serves until standard input closes (or, with `--http`, until stopped).
pub fn run(
    operations: &'static [Operation],
    name: &'static str,
    version: &'static str,
) -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{name}: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Logs go to standard error: standard output carries the protocol.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    let server = match server_from_env(operations, &args, name, version) {
        Ok(server) => server,
        Err(message) => {
            eprintln!("{name}: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{name}: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match args.http {
            None => serve_stdio(server).await,
            Some(address) => {
                let listener = tokio::net::TcpListener::bind(address)
                    .await
                    .map_err(|error| format!("cannot listen on {address}: {error}"))?;
                tracing::info!(%address, "serving MCP at http://{address}/mcp");
                axum::serve(listener, http_router(server))
                    .await
                    .map_err(|error| error.to_string())
            }
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{name}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn server_from_env(
    operations: &'static [Operation],
    args: &Args,
    name: &'static str,
    version: &'static str,
) -> Result<McpServer, String> {
    let config = ClientConfig::from_env().map_err(|error| error.to_string())?;
    let core = config.build().map_err(|error| error.to_string())?;
    let scopes = match args
        .scopes
        .clone()
        .or_else(|| std::env::var(ENV_SCOPES).ok())
    {
        Some(text) => text
            .parse::<Scopes>()
            .map_err(|error| format!("the scopes: {error}"))?,
        None => Scopes::all(),
    };
    let reach = Reach {
        tier: core.credentials().tier(),
        scopes,
        internal: args.internal,
    };
    McpServer::new(core, operations, reach, name, version)
}

/// Serves one client over standard input and output until it leaves.
///
/// # Errors
///
/// The handshake or the transport failed.
pub async fn serve_stdio(server: McpServer) -> Result<(), String> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|error| format!("the MCP handshake failed: {error}"))?;
    running
        .waiting()
        .await
        .map(|_| ())
        .map_err(|error| error.to_string())
}

/// An axum router that serves MCP's streamable HTTP transport at `/mcp`. It accepts loopback
/// hosts only (rmcp's guard against DNS rebinding); put it behind a proxy to serve others.
pub fn http_router(server: McpServer) -> axum::Router {
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    axum::Router::new().nest_service("/mcp", service)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Option<Args>, String> {
        parse(list.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn reads_every_flag() {
        assert_eq!(
            args(&[
                "--http",
                "127.0.0.1:8931",
                "--scopes",
                "a=read",
                "--internal"
            ]),
            Ok(Some(Args {
                http: Some("127.0.0.1:8931".parse().unwrap()),
                scopes: Some("a=read".to_owned()),
                internal: true,
            }))
        );
    }

    #[test]
    fn help_asks_for_the_usage() {
        assert_eq!(args(&["--help"]), Ok(None));
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        let cases: &[(&[&str], &str)] = &[
            (&["--verbose"], "unknown argument `--verbose`"),
            (&["--http"], "--http needs an address"),
            (
                &["--http", "localhost"],
                "--http localhost: invalid socket address syntax",
            ),
            (&["--scopes"], "--scopes needs a list of scopes"),
        ];
        for (list, message) in cases {
            let error = args(list).unwrap_err();
            assert!(error.starts_with(message), "{list:?}: {error}");
        }
    }
}
