// A Crisp RTM client on socket.io-client 2.x, which speaks engine.io v3 (`EIO=3`) like the
// official Go client, for the Rust test suite (tests/tests/suite/rtm_node.rs).
//
//   node legacy-listener.js SOCKET_URL TIER IDENTIFIER KEY EVENT [EVENT...]
//
// SOCKET_URL is what `connect/endpoints` answers as `socket.app` (e.g.
// `ws://127.0.0.1:8080/rtm/`): it connects to its origin with its path, over WebSocket only,
// and emits `authentication` `{username, password, tier, events}` on every connection, as the
// official clients do.
//
// It prints one JSON object per line on standard output:
//   {"authenticated": true}             each time the server accepts the authentication
//   {"unauthorized": {...}}             when the server refuses it
//   {"event": NAME, "data": {...}}      for each of the events asked for
//   {"ack": NAME, "data": ...}          when the server acknowledges an event sent from stdin
//   {"connected": true} / {"disconnected": REASON} / {"error": MESSAGE}
//
// It reads JSON lines on standard input: `{"emit": NAME, "data": ...}` emits NAME with that
// payload, asking for an acknowledgement (e.g. `socket:bind` with `{"events": [...]}`);
// `{"emit": NAME, "binary": TEXT}` emits NAME with the bytes of TEXT as a binary attachment,
// and `{"emit": NAME}` with no argument at all. It exits when its standard input closes.

"use strict";

const readline = require("node:readline");
const io = require("socket.io-client-v2");

/** Prints one JSON line on standard output. */
function print(object) {
  process.stdout.write(JSON.stringify(object) + "\n");
}

const [socketUrl, tier, identifier, key, ...events] = process.argv.slice(2);
if (!socketUrl || !tier || !identifier || !key || events.length === 0) {
  process.stderr.write(
    "usage: node legacy-listener.js SOCKET_URL TIER IDENTIFIER KEY EVENT [EVENT...]\n"
  );
  process.exit(2);
}

const url = new URL(socketUrl);
const socket = io(url.origin, {
  path: url.pathname || "/",
  transports: ["websocket"],
  reconnection: true,
  reconnectionDelay: 500,
  reconnectionDelayMax: 1000,
});

socket.on("connect", () => {
  print({ connected: true });
  socket.emit("authentication", {
    username: identifier,
    password: key,
    tier: tier,
    events: events,
  });
});
socket.on("disconnect", (reason) => print({ disconnected: reason }));
socket.on("error", (error) => print({ error: String(error) }));
socket.on("connect_error", (error) => print({ error: String(error) }));
socket.on("authenticated", (payload) => print({ authenticated: payload }));
socket.on("unauthorized", (payload) =>
  print({ unauthorized: payload === undefined ? null : payload })
);
for (const name of events) {
  socket.on(name, (data) => print({ event: name, data: data }));
}

const input = readline.createInterface({ input: process.stdin });
input.on("line", (line) => {
  let command;
  try {
    command = JSON.parse(line);
  } catch (error) {
    print({ error: "not a JSON line: " + error.message });
    return;
  }
  if (!command || typeof command.emit !== "string") {
    print({ error: "expected {\"emit\": NAME, \"data\": ...}" });
    return;
  }
  const acknowledged = (answer) =>
    print({ ack: command.emit, data: answer === undefined ? null : answer });
  if (typeof command.binary === "string") {
    socket.emit(command.emit, Buffer.from(command.binary), acknowledged);
  } else if ("data" in command) {
    socket.emit(command.emit, command.data, acknowledged);
  } else {
    socket.emit(command.emit, acknowledged);
  }
});
// Stop with the test: when the pipe closes (the test ended, or its process died).
input.on("close", () => process.exit(0));
