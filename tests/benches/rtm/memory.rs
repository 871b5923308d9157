//! The memory phase: the sandbox in this process, the clients in a child (see [`crate::child`]);
//! what an idle RTM socket costs the sandbox against an idle keep-alive connection.

use crisp_client::rtm::Reconnect;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

use crate::sandbox::{Calls, Served, authenticated, client};
use crate::{CHILD, CHILD_SOCKETS, SETTLE, SETUP_TIMEOUT};

/// The resident memory of this process in KiB (`VmRSS` of `/proc/self/status`), `None` where
/// there is no such file.
pub(crate) fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?;
    line.trim().strip_suffix("kB")?.trim().parse().ok()
}

/// What the memory phase measured, in KiB of the sandbox's process unless said otherwise.
pub(crate) struct Memory {
    /// How many connections of each kind (K).
    pub(crate) sockets: usize,
    /// Before any.
    pub(crate) before: u64,
    /// With K idle keep-alive connections.
    pub(crate) with_http: u64,
    /// With K idle RTM sockets too.
    pub(crate) with_rtm: u64,
    /// The child's own growth for its K subscriptions, when it could read it.
    pub(crate) child_rtm: Option<u64>,
}

impl Memory {
    /// KiB per keep-alive connection.
    pub(crate) fn per_http(&self) -> f64 {
        self.with_http.saturating_sub(self.before) as f64 / self.sockets as f64
    }

    /// KiB per RTM socket.
    pub(crate) fn per_rtm(&self) -> f64 {
        self.with_rtm.saturating_sub(self.with_http) as f64 / self.sockets as f64
    }
}

/// Runs the phase on a sandbox of its own; `None` where memory cannot be read.
pub(crate) async fn measure(sockets: usize) -> Option<Memory> {
    resident_kib()?;
    let sandbox = Served::start().await;
    warm_up(&sandbox).await;
    tokio::time::sleep(SETTLE).await;
    let before = resident_kib().expect("VmRSS");

    let executable = std::env::current_exe().expect("the path of this benchmark binary");
    let mut child = Command::new(executable)
        .env(CHILD, sandbox.address.to_string())
        .env(CHILD_SOCKETS, sockets.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start this benchmark binary again as the client side");
    let mut input = child.stdin.take().expect("the child's stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("the child's stdout")).lines();
    let opened = read_line(&mut lines).await;
    expect_ready(&opened, "http", sockets);
    tokio::time::sleep(SETTLE).await;
    let with_http = resident_kib().expect("VmRSS");

    input
        .write_all(b"rtm\n")
        .await
        .expect("tell the client process to go on");
    let subscribed = read_line(&mut lines).await;
    let child_rtm = expect_ready(&subscribed, "rtm", sockets);
    tokio::time::sleep(SETTLE).await;
    let with_rtm = resident_kib().expect("VmRSS");

    // Closing its stdin ends the child.
    drop(input);
    match tokio::time::timeout(SETUP_TIMEOUT, child.wait()).await {
        Ok(status) => {
            let status = status.expect("the client process's exit status");
            assert!(status.success(), "the client process failed: {status}");
        }
        Err(_) => {
            child.kill().await.expect("end the client process");
            panic!("the client process did not end once told to");
        }
    }
    sandbox.stop().await;
    Some(Memory {
        sockets,
        before,
        with_http,
        with_rtm,
        child_rtm,
    })
}

/// The child's next line; its `error: …` line becomes a panic with its message.
async fn read_line(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
    let line = tokio::time::timeout(SETUP_TIMEOUT, lines.next_line())
        .await
        .expect("the client process answers in time")
        .expect("the client process's output is readable")
        .expect("the client process says what it did before it ends");
    match line.strip_prefix("error: ") {
        Some(error) => panic!("the client process could not set up: {error}"),
        None => line,
    }
}

/// Reads what the child said it did, `<step> <count> <its KiB before> <its KiB after>`,
/// checking it did `step` for `sockets` sockets; returns the child's own growth, when it
/// could read its memory.
fn expect_ready(line: &str, step: &str, sockets: usize) -> Option<u64> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (before, after) = match fields.as_slice() {
        [said, count, before, after] if *said == step && count.parse() == Ok(sockets) => {
            (before, after)
        }
        _ => panic!("the client process said {line:?} instead of `{step} {sockets} …`"),
    };
    match (before.parse::<u64>(), after.parse::<u64>()) {
        (Ok(before), Ok(after)) => Some(after.saturating_sub(before)),
        _ => None,
    }
}

/// Pays what the first requests and the first socket allocate once, before the memory is
/// read: a few REST calls and one subscription, from this process.
async fn warm_up(sandbox: &Served) {
    let mut calls = Calls::new(client(&sandbox.base())).await;
    for _ in 0..10 {
        calls.next().await;
    }
    let subscription = calls
        .client
        .realtime()
        .endpoint(sandbox.rtm())
        .reconnect(Reconnect::disabled())
        .subscribe();
    let mut subscriptions = [subscription];
    let name = |_| "the warm-up subscription of the memory phase".to_owned();
    if let Err(error) = authenticated(&mut subscriptions, name).await {
        panic!("setup failed: {error}");
    }
    calls.next().await;
    drop(subscriptions);
}
