//! The client side of the memory phase, in its own process (this binary again, with
//! `RTM_BENCH_CHILD` set): it opens the idle connections, then the idle subscriptions.

use std::net::SocketAddr;

use crisp_client::models::Event;
use crisp_client::rtm::{Reconnect, Subscription};
use futures_util::future::join_all;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::memory::resident_kib;
use crate::sandbox::{authenticated, client};
use crate::{BATCH, PLUGIN, SETUP_TIMEOUT};

/// Opens the keep-alive connections, says so, waits for `rtm` on stdin, opens the
/// subscriptions, says so, and holds everything until stdin closes. A failure is one line
/// `error: …`, for the parent to show.
pub(crate) async fn run(address: SocketAddr, sockets: usize) {
    let before = resident();
    let connections = match keep_alive_connections(address, sockets).await {
        Ok(connections) => connections,
        Err(error) => return println!("error: {error}"),
    };
    println!("http {} {before} {}", connections.len(), resident());

    match read_stdin_line().await {
        Some(line) if line.trim() == "rtm" => {}
        other => return println!("error: expected `rtm` on stdin, got {other:?}"),
    }
    let before = resident();
    let subscriptions = match subscriptions(address, sockets).await {
        Ok(subscriptions) => subscriptions,
        Err(error) => return println!("error: {error}"),
    };
    println!("rtm {} {before} {}", subscriptions.len(), resident());

    // Idle until the parent closes stdin.
    while read_stdin_line().await.is_some() {}
    drop(subscriptions);
    drop(connections);
}

/// The next line of stdin, `None` at its end (or if it cannot be read). Read on a
/// blocking thread: the crate's Tokio has no `io-std`.
async fn read_stdin_line() -> Option<String> {
    let read = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        match std::io::stdin().read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line),
        }
    });
    read.await.ok().flatten()
}

/// This process's resident memory in KiB, or `-`.
fn resident() -> String {
    resident_kib().map_or_else(|| "-".to_owned(), |kib| kib.to_string())
}

/// `sockets` HTTP/1.1 connections that each made one REST call and were kept open.
async fn keep_alive_connections(
    address: SocketAddr,
    sockets: usize,
) -> Result<Vec<TcpStream>, String> {
    let authorization = reqwest::Client::new()
        .get(format!("http://{address}/"))
        .basic_auth(PLUGIN.0, Some(PLUGIN.1))
        .build()
        .map_err(|error| error.to_string())?
        .headers()
        .get(reqwest::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .ok_or("no Authorization header")?;
    let request = format!(
        "GET /v1/plugin/connect/endpoints HTTP/1.1\r\nHost: {address}\r\nAuthorization: {authorization}\r\nX-Crisp-Tier: plugin\r\nAccept: application/json\r\n\r\n"
    );
    let mut connections = Vec::with_capacity(sockets);
    while connections.len() < sockets {
        let batch = BATCH.min(sockets - connections.len());
        let opened = tokio::time::timeout(
            SETUP_TIMEOUT,
            join_all((0..batch).map(|_| one_call(address, &request))),
        )
        .await
        .map_err(|_| {
            format!(
                "{batch} keep-alive connections did not open within {} s",
                SETUP_TIMEOUT.as_secs()
            )
        })?;
        for connection in opened {
            connections.push(connection.map_err(|error| {
                format!(
                    "keep-alive connection {} failed: {error} (is `ulimit -n` high enough?)",
                    connections.len() + 1
                )
            })?);
        }
    }
    Ok(connections)
}

/// Connects, sends `request` and reads its answer (which must be a 200 with a
/// `Content-Length`), keeping the connection.
async fn one_call(address: SocketAddr, request: &str) -> Result<TcpStream, String> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|error| error.to_string())?;
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|error| error.to_string())?;
    let mut answer = Vec::with_capacity(1024);
    let mut chunk = [0_u8; 1024];
    loop {
        let read = stream
            .read(&mut chunk)
            .await
            .map_err(|error| error.to_string())?;
        if read == 0 {
            return Err("the sandbox closed the connection before answering".to_owned());
        }
        answer.extend_from_slice(&chunk[..read]);
        let Some(end) = answer.windows(4).position(|window| window == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
        if !head.starts_with("http/1.1 200") {
            return Err(format!("the sandbox answered {:?}", head.lines().next()));
        }
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|length| length.trim().parse().ok())
            .ok_or("the answer has no Content-Length")?;
        if answer.len() >= end + 4 + length {
            return Ok(stream);
        }
    }
}

/// `sockets` authenticated subscriptions to every event the crate knows, opened
/// [`BATCH`] at a time.
async fn subscriptions(
    address: SocketAddr,
    sockets: usize,
) -> Result<Vec<Subscription<Event>>, String> {
    let client = client(&format!("http://{address}/v1"));
    let endpoint = format!("ws://{address}/rtm/");
    let mut subscriptions: Vec<Subscription<Event>> = Vec::with_capacity(sockets);
    while subscriptions.len() < sockets {
        let opened = subscriptions.len();
        let batch = BATCH.min(sockets - opened);
        let mut made: Vec<Subscription<Event>> = (0..batch)
            .map(|_| {
                client
                    .realtime()
                    .endpoint(&endpoint)
                    .reconnect(Reconnect::disabled())
                    .subscribe()
            })
            .collect();
        let name = |index: usize| format!("idle subscription {} of {sockets}", opened + index + 1);
        authenticated(&mut made, name).await?;
        subscriptions.extend(made);
    }
    Ok(subscriptions)
}
