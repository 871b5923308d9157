//! Running the Node scripts of `tests/node` from tests: finding `node` and `npm`, installing
//! the pinned packages once per run (`npm ci`), and [`NodeProcess`], a script spoken to in
//! JSON lines over its standard input and output.
//!
//! The scripts need Node.js 20 or later and npm on `PATH`; `npm ci` reaches the npm registry
//! the first time (or when `package-lock.json` changed). Without them, a test fails at once
//! with a message saying so, never hangs.

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// The oldest Node.js major version the scripts are written for.
const NODE_MAJOR: u32 = 20;
/// How long `npm ci` may take.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);
/// The most standard error kept per script, for failure messages.
const STDERR_LIMIT: usize = 64 * 1024;

/// `tests/node`, where the scripts and their `package.json` live.
pub(crate) fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// The outcome of preparing Node once per test binary: the `node` executable, or why the
/// scripts cannot run.
static PREPARED: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The `node` executable, with the packages of `tests/node` installed; prepared once per run
/// of the test binary (tests asking at the same time wait for the first).
///
/// # Panics
///
/// When `node` or `npm` is missing or too old, or `npm ci` fails, with a message saying so.
pub(crate) async fn node() -> PathBuf {
    let prepared = tokio::task::spawn_blocking(|| PREPARED.get_or_init(prepare).clone())
        .await
        .expect("preparing Node does not panic");
    match prepared {
        Ok(node) => node,
        Err(message) => panic!("{message}"),
    }
}

/// Finds `node` and `npm`, checks the version and runs `npm ci` if `node_modules` is missing
/// or older than `package-lock.json`.
fn prepare() -> Result<PathBuf, String> {
    let missing = |program: &str| {
        format!(
            "`{program}` is not on PATH: these tests run the official Crisp Node client and \
             socket.io scripts from tests/node; install Node.js {NODE_MAJOR} or later with npm"
        )
    };
    let node = find_program("node").ok_or_else(|| missing("node"))?;
    let npm = find_program("npm").ok_or_else(|| missing("npm"))?;
    let version = Command::new(&node)
        .arg("--version")
        .output()
        .map_err(|error| format!("`{} --version` failed: {error}", node.display()))?;
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let major = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|major| major.parse::<u32>().ok());
    if major.is_none_or(|major| major < NODE_MAJOR) {
        return Err(format!(
            "`node` is {version}; the scripts of tests/node need Node.js {NODE_MAJOR} or later"
        ));
    }

    let dir = scripts_dir();
    if !needs_install(&dir) {
        return Ok(node);
    }
    // Another test binary (another `cargo test` in this checkout) may be installing too: one
    // at a time, and the second finds the work done.
    let lock_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tests-node-npm-ci.lock");
    let lock = File::create(&lock_path)
        .map_err(|error| format!("cannot create {}: {error}", lock_path.display()))?;
    lock.lock()
        .map_err(|error| format!("cannot lock {}: {error}", lock_path.display()))?;
    if needs_install(&dir) {
        npm_ci(&npm, &dir)?;
    }
    Ok(node)
}

/// Whether `node_modules` is missing or older than `package-lock.json` (npm writes
/// `node_modules/.package-lock.json` at each install).
fn needs_install(dir: &Path) -> bool {
    let modified = |path: PathBuf| -> Option<SystemTime> { path.metadata().ok()?.modified().ok() };
    match (
        modified(dir.join("node_modules").join(".package-lock.json")),
        modified(dir.join("package-lock.json")),
    ) {
        (Some(installed), Some(locked)) => installed < locked,
        _ => true,
    }
}

/// Runs `npm ci` in `dir`, for at most [`INSTALL_TIMEOUT`].
fn npm_ci(npm: &Path, dir: &Path) -> Result<(), String> {
    let output_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tests-node-npm-ci.log");
    let output = File::create(&output_path)
        .map_err(|error| format!("cannot create {}: {error}", output_path.display()))?;
    let errors = output
        .try_clone()
        .map_err(|error| format!("cannot share {}: {error}", output_path.display()))?;
    let mut child = Command::new(npm)
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(output)
        .stderr(errors)
        .spawn()
        .map_err(|error| format!("cannot run `npm ci` in {}: {error}", dir.display()))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > INSTALL_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`npm ci` in {} took more than {} s (does npm reach its registry?); its \
                     output is in {}",
                    dir.display(),
                    INSTALL_TIMEOUT.as_secs(),
                    output_path.display()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(error) => return Err(format!("waiting for `npm ci` failed: {error}")),
        }
    };
    if status.success() {
        return Ok(());
    }
    let log = std::fs::read_to_string(&output_path).unwrap_or_default();
    Err(format!(
        "`npm ci` in {} failed ({status}):\n{log}",
        dir.display()
    ))
}

/// The first `program` on `PATH` that is a file (on Windows, also with `.exe` or `.cmd`).
fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let names: Vec<String> = if cfg!(windows) {
        vec![
            format!("{program}.exe"),
            format!("{program}.cmd"),
            program.to_owned(),
        ]
    } else {
        vec![program.to_owned()]
    };
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// A Node script of `tests/node`, running until dropped (it is killed then), spoken to in JSON
/// lines: one JSON value per line on its standard input and output.
pub(crate) struct NodeProcess {
    /// The script's file name, for messages.
    script: String,
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    /// Its standard error so far (at most [`STDERR_LIMIT`] bytes), read in the background.
    stderr: Arc<Mutex<String>>,
    /// Every line read from its standard output so far, in order (a line that is not JSON is
    /// kept as a JSON string).
    lines: Vec<Value>,
}

impl NodeProcess {
    /// Starts `node <script> <args>` in `tests/node`, with the extra environment `env`.
    ///
    /// # Panics
    ///
    /// When Node cannot be prepared (see [`node`]) or the script cannot be started.
    pub(crate) async fn spawn(script: &str, args: &[&str], env: &[(&str, &str)]) -> NodeProcess {
        let node = node().await;
        let dir = scripts_dir();
        let mut child = tokio::process::Command::new(node)
            .arg(dir.join(script))
            .args(args)
            .envs(env.iter().copied())
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start `node {script}`: {error}"));
        let stdin = child.stdin.take().expect("a piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("a piped stdout")).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut errors = BufReader::new(child.stderr.take().expect("a piped stderr")).lines();
        let collected = Arc::clone(&stderr);
        tokio::spawn(async move {
            while let Ok(Some(line)) = errors.next_line().await {
                let mut collected = collected.lock().unwrap_or_else(PoisonError::into_inner);
                if collected.len() < STDERR_LIMIT {
                    collected.push_str(&line);
                    collected.push('\n');
                }
            }
        });
        NodeProcess {
            script: script.to_owned(),
            child,
            stdin,
            stdout,
            stderr,
            lines: Vec::new(),
        }
    }

    /// Every line read from the script's standard output so far.
    pub(crate) fn lines(&self) -> &[Value] {
        &self.lines
    }

    /// Writes `line` as one JSON line on the script's standard input.
    pub(crate) async fn send(&mut self, line: &Value) {
        let mut text = line.to_string();
        text.push('\n');
        if let Err(error) = self.stdin.write_all(text.as_bytes()).await {
            let context = self.context().await;
            panic!(
                "{}: cannot write to its stdin: {error}{context}",
                self.script
            );
        }
    }

    /// Reads lines until one satisfies `predicate`, for at most `timeout`, and returns it
    /// (every line read stays in [`NodeProcess::lines`]).
    ///
    /// # Panics
    ///
    /// When no such line comes in time, or the script ends first; the message says `what`
    /// was awaited and holds the lines read and the script's standard error.
    pub(crate) async fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        predicate: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.stdout.next_line()).await {
                Ok(Ok(Some(line))) => {
                    let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
                    self.lines.push(value.clone());
                    if predicate(&value) {
                        return value;
                    }
                }
                Ok(Ok(None)) => {
                    let status = tokio::time::timeout(Duration::from_secs(5), self.child.wait())
                        .await
                        .map_or_else(
                            |_| "still running".to_owned(),
                            |status| format!("{status:?}"),
                        );
                    let context = self.context().await;
                    panic!("{}: ended ({status}) before {what}{context}", self.script);
                }
                Ok(Err(error)) => {
                    let context = self.context().await;
                    panic!("{}: cannot read its stdout: {error}{context}", self.script);
                }
                Err(_) => {
                    let context = self.context().await;
                    panic!(
                        "{}: no {what} within {} s{context}",
                        self.script,
                        timeout.as_secs_f32()
                    );
                }
            }
        }
    }

    /// The lines read so far and the standard error, for a failure message.
    async fn context(&self) -> String {
        // Lets the background reader catch up with what the script wrote last.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut context = String::from("\n--- its stdout so far:\n");
        for line in &self.lines {
            let _ = writeln!(context, "{line}");
        }
        let stderr = self.stderr.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = write!(context, "--- its stderr:\n{stderr}");
        context
    }
}

/// Whether `line` is `{key: …}` (a JSON object with that key).
pub(crate) fn has(line: &Value, key: &str) -> bool {
    line.get(key).is_some()
}

/// Whether `line` is the event `name`: `{"event": name, "data": …}`.
pub(crate) fn is_event(line: &Value, name: &str) -> bool {
    line.get("event").and_then(Value::as_str) == Some(name)
}
