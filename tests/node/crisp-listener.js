// The official Crisp Node client (crisp-api) listening to real-time events, for the Rust test
// suite (tests/tests/suite/rtm_node.rs).
//
//   node crisp-listener.js REST_HOST TIER IDENTIFIER KEY EVENT [EVENT...]
//
// REST_HOST is the REST API's base without `/v1` (e.g. `http://127.0.0.1:8080`), TIER is
// `plugin` or `user`. The client runs in its default RTM mode (websockets): it asks
// REST_HOST/v1/<tier>/connect/endpoints where to connect, connects socket.io there, and
// authenticates with the token and the list of events (again on every reconnection). With
// the environment variable CRISP_RTM_HOST (a socket URL such as `ws://127.0.0.1:8080/rtm/`),
// it skips that question and connects there (the client's `setRtmHost`): a wrong key then
// reaches the socket's authentication instead of failing at the REST question.
//
// It prints one JSON object per line on standard output:
//   {"authenticated": true}             each time the server accepts the authentication
//   {"unauthorized": {...}}             when the server refuses it (with the server's payload)
//   {"event": NAME, "data": {...}}      for each event received, with its payload
//   {"connected": true}                 each time the socket connects
//   {"disconnected": REASON}            each time it disconnects
//   {"error": MESSAGE}                  when the client fails or throws (it is not fatal)
// It exits when its standard input closes, so it never outlives the test that started it.

"use strict";

const { Crisp } = require("crisp-api");

/** Prints one JSON line on standard output. */
function print(object) {
  process.stdout.write(JSON.stringify(object) + "\n");
}

/** The message of an error, or the thing itself when it is not an Error. */
function describe(error) {
  return error instanceof Error ? error.message : error;
}

// On `unauthorized`, the client throws from inside its own socket handler ("cannot listen for
// events as authentication is invalid"): report it and keep running, so the test can read
// what came before and after.
process.on("uncaughtException", (error) => print({ error: describe(error) }));
process.on("unhandledRejection", (error) => print({ error: describe(error) }));

const [restHost, tier, identifier, key, ...events] = process.argv.slice(2);
if (!restHost || !tier || !identifier || !key || events.length === 0) {
  process.stderr.write(
    "usage: node crisp-listener.js REST_HOST TIER IDENTIFIER KEY EVENT [EVENT...]\n"
  );
  process.exit(2);
}

const crisp = new Crisp();
crisp.setRestHost(restHost);
if (process.env.CRISP_RTM_HOST) {
  crisp.setRtmHost(process.env.CRISP_RTM_HOST);
}
crisp.authenticateTier(tier, identifier, key);

// Every `on` call resolves once the socket exists (the first one connects it, after asking
// for the endpoints); the client rejects when it cannot find where to connect.
const bound = events.map((name) =>
  crisp.on(name, (data) => print({ event: name, data: data }))
);

Promise.all(bound)
  .then(() => {
    // `_socket` is a private field of the client (its socket.io-client socket). It is used
    // here only to know when the server has answered the authentication, so the test knows
    // when it may start; the events themselves go through the public `on` above. `onAny`
    // listeners run before the client's own ones, so `unauthorized` is seen even though the
    // client's handler throws.
    const socket = crisp._socket;
    if (!socket) {
      print({ error: "the client has no socket after binding its events" });
      return;
    }
    socket.onAny((name, payload) => {
      if (name === "authenticated") {
        print({ authenticated: payload });
      } else if (name === "unauthorized") {
        print({ unauthorized: payload === undefined ? null : payload });
      }
    });
    socket.on("connect", () => print({ connected: true }));
    socket.on("disconnect", (reason) => print({ disconnected: reason }));
  })
  .catch((error) => print({ error: describe(error) }));

// Stop with the test: when the pipe closes (the test ended, or its process died).
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
