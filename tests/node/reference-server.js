// A reference implementation of Crisp's real-time (RTM) API on a plain socket.io v4 server, to
// test RTM clients against (the Rust one included) without Crisp and without the sandbox.
//
//   node reference-server.js [--port PORT] [--path PATH] [--token TIER:IDENTIFIER:KEY]
//
// --port   the port to listen on, on 127.0.0.1; 0 (the default) picks a free one.
// --path   the socket.io path (default `/`): a client given the socket URL
//          `ws://127.0.0.1:PORT/PATH` connects to its origin with that path, as the official
//          clients do with what `connect/endpoints` answers.
// --token  the one token accepted, `TIER:IDENTIFIER:KEY` (tier `user` or `plugin`); or the
//          environment variable CRISP_RTM_TOKEN (so the key stays out of `ps`). Required.
//
// The protocol, as Crisp's RTM API and its official clients (Node, Go) speak it:
//
// - Clients connect with socket.io-client 4 (engine.io v4) or older clients speaking engine.io
//   v3, such as socket.io-client 2 and the Go client (`allowEIO3`), over WebSocket or polling.
// - A client emits `authentication` with `{username, password, tier, events}` (on connect and
//   on every reconnection). With the right token and a well-formed payload, the server
//   answers `authenticated` with `true` and from then on sends the socket the events it
//   listed; otherwise it answers `unauthorized` with `{message}` and disconnects the socket
//   (so the client does not reconnect on its own). A second `authentication` replaces the
//   first.
// - `socket:bind` with `{events: [...]}` replaces the socket's list of events,
//   `socket:bind:push` / `socket:bind:pop` add / remove names; `""` or `{}` (a rebind)
//   changes nothing. If the client asks for an acknowledgement, it gets the new list (or
//   `false` when the event was ignored).
// - An event is sent by name with its payload (Crisp's `data`, no envelope) as its only
//   argument.
//
// Standard input takes one JSON object per line:
//   {"emit": NAME, "data": {...}}  send NAME with that payload to every authenticated socket
//                                  that asked for it; answers {"emitted": NAME, "sockets": N}
//   {"disconnect": true}           disconnect every socket from the server side (socket.io's
//                                  "io server disconnect": clients do not reconnect on their
//                                  own); answers {"disconnected": N}
//   {"drop": true}                 close every connection without a word, as a network cut
//                                  would ("transport close": clients reconnect on their own);
//                                  answers {"dropped": N}
//   {"close": true}                close the server and exit; answers {"closed": true}
// Closing standard input closes the server too.
//
// Standard output gets one JSON object per line:
//   {"listening": PORT}                                   once, when ready
//   {"connection": COUNT}                                 per connection; COUNT counts them all
//   {"authenticated": {"username", "tier", "events"}}     per accepted authentication
//   {"unauthorized": {"username", "message"}}             per refused one (`username` may be
//                                                         null); never the password
//   {"bind": {"username", "op", "events"}}                per accepted socket:bind…
//   {"disconnection": {"username", "reason"}}             per socket gone
//   {"error": MESSAGE}                                    for a bad line on standard input
// and the answers to the commands above.

"use strict";

const crypto = require("node:crypto");
const http = require("node:http");
const readline = require("node:readline");
const { Server } = require("socket.io");

/** Prints one JSON line on standard output. */
function print(object) {
  process.stdout.write(JSON.stringify(object) + "\n");
}

/** Reads `--name value` options; exits with a usage message on anything else. */
function options(argv) {
  const usage =
    "usage: node reference-server.js [--port PORT] [--path PATH] [--token TIER:IDENTIFIER:KEY]\n";
  const found = { port: "0", path: "/", token: process.env.CRISP_RTM_TOKEN || "" };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    const value = argv[i + 1];
    if (!["--port", "--path", "--token"].includes(name) || value === undefined) {
      process.stderr.write(usage);
      process.exit(2);
    }
    found[name.slice(2)] = value;
  }
  const port = Number(found.port);
  const [tier, identifier, ...key] = found.token.split(":");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write("--port must be a port number\n" + usage);
    process.exit(2);
  }
  if (!["user", "plugin"].includes(tier) || !identifier || key.length === 0) {
    process.stderr.write("a token TIER:IDENTIFIER:KEY is required\n" + usage);
    process.exit(2);
  }
  const path = found.path.startsWith("/") ? found.path : "/" + found.path;
  return { port, path, token: { tier, identifier, key: key.join(":") } };
}

const config = options(process.argv.slice(2));

/** Compares two strings without stopping at the first difference. */
function sameSecret(given, expected) {
  const a = Buffer.from(String(given));
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** A list of event names, or null when `value` is not one. */
function eventNames(value) {
  if (!Array.isArray(value) || !value.every((name) => typeof name === "string" && name)) {
    return null;
  }
  return new Set(value);
}

/**
 * Checks an `authentication` payload: `{accepted: {username, tier, events}}` or
 * `{refused: message}` (naming the field at fault, never its value).
 */
function checkAuthentication(payload) {
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) {
    return { refused: "the authentication payload must be an object" };
  }
  for (const field of ["username", "password", "tier"]) {
    if (typeof payload[field] !== "string" || payload[field] === "") {
      return { refused: "`" + field + "` must be a non-empty string" };
    }
  }
  if (!["user", "plugin"].includes(payload.tier)) {
    return { refused: "`tier` must be `user` or `plugin`" };
  }
  const events = eventNames(payload.events);
  if (events === null) {
    return { refused: "`events` must be a list of event names" };
  }
  // Every check runs, so the time taken does not tell which one failed.
  const matches = [
    payload.tier === config.token.tier,
    payload.username === config.token.identifier,
    sameSecret(payload.password, config.token.key),
  ].every(Boolean);
  if (!matches) {
    return { refused: "the credentials are not valid" };
  }
  return { accepted: { username: payload.username, tier: payload.tier, events } };
}

/** The sockets currently connected to the main namespace. */
function sockets() {
  return [...io.of("/").sockets.values()];
}

const server = http.createServer((request, response) => {
  response.writeHead(404, { "content-type": "text/plain" });
  response.end("not found: socket.io is served at " + config.path + "\n");
});
const io = new Server(server, {
  path: config.path,
  serveClient: false,
  // Engine.io v3 clients too: socket.io-client 2 and the Go client.
  allowEIO3: true,
});

let connections = 0;
io.on("connection", (socket) => {
  connections += 1;
  print({ connection: connections });
  // `null` until authenticated: {username, tier, events: Set}.
  socket.data.auth = null;

  socket.on("authentication", (payload) => {
    const result = checkAuthentication(payload);
    if (result.refused) {
      const username =
        payload && typeof payload.username === "string" ? payload.username : null;
      socket.data.auth = null;
      print({ unauthorized: { username, message: result.refused } });
      socket.emit("unauthorized", { message: result.refused });
      socket.disconnect(true);
      return;
    }
    socket.data.auth = result.accepted;
    const { username, tier, events } = result.accepted;
    print({ authenticated: { username, tier, events: [...events] } });
    socket.emit("authenticated", true);
  });

  for (const op of ["socket:bind", "socket:bind:push", "socket:bind:pop"]) {
    // socket.io passes the acknowledgement callback last, only when the client asked for one.
    socket.on(op, (...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : () => {};
      const payload = args[0];
      const auth = socket.data.auth;
      const rebind =
        payload === "" ||
        payload === null ||
        payload === undefined ||
        (typeof payload === "object" && !Array.isArray(payload) && payload.events == null);
      const names = rebind ? null : eventNames(payload && payload.events);
      if (!auth || (!rebind && names === null)) {
        ack(false);
        return;
      }
      if (names !== null) {
        if (op === "socket:bind") {
          auth.events = names;
        } else if (op === "socket:bind:push") {
          names.forEach((name) => auth.events.add(name));
        } else {
          names.forEach((name) => auth.events.delete(name));
        }
        print({ bind: { username: auth.username, op, events: [...auth.events] } });
      }
      ack([...auth.events]);
    });
  }

  socket.on("disconnect", (reason) => {
    const username = socket.data.auth ? socket.data.auth.username : null;
    print({ disconnection: { username, reason } });
  });
});

/** Runs one command read from standard input. */
function command(line) {
  let order;
  try {
    order = JSON.parse(line);
  } catch (error) {
    print({ error: "not a JSON line: " + error.message });
    return;
  }
  if (order && typeof order.emit === "string") {
    let count = 0;
    for (const socket of sockets()) {
      const auth = socket.data.auth;
      if (auth && auth.events.has(order.emit)) {
        socket.emit(order.emit, order.data);
        count += 1;
      }
    }
    print({ emitted: order.emit, sockets: count });
  } else if (order && order.disconnect === true) {
    const all = sockets();
    all.forEach((socket) => socket.disconnect(true));
    print({ disconnected: all.length });
  } else if (order && order.drop === true) {
    const all = sockets();
    all.forEach((socket) => socket.conn.close());
    print({ dropped: all.length });
  } else if (order && order.close === true) {
    close();
  } else {
    print({ error: "unknown command: " + line });
  }
}

let closing = false;
/** Closes the server (and every connection), then exits. */
function close() {
  if (closing) {
    return;
  }
  closing = true;
  io.close(() => {
    print({ closed: true });
    process.exit(0);
  });
  // Connections that do not close in time do not keep the process alive.
  setTimeout(() => process.exit(0), 2000).unref();
}

const input = readline.createInterface({ input: process.stdin });
input.on("line", command);
input.on("close", close);

server.listen(config.port, "127.0.0.1", () => {
  print({ listening: server.address().port });
});
