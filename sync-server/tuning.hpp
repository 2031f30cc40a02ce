// Tuning constants of the sync server, each with its reason. Protocol limits
// (frame size, batch sizes) are not here: they are part of the wire contract
// and live in client-core's limits.hpp. Compile-time constants only.
#pragma once
#include <chrono>
#include <cstddef>

namespace packline::server::tuning {

using namespace std::chrono_literals;

// Outbound queue of one WebSocket session. A client has at most one push and
// one pull in flight, so a healthy session rarely holds more than 2-3 frames.
// When the queue reaches the pause mark the session stops reading until the
// socket drains: a client that pipelines requests without reading answers is
// slowed down instead of growing our memory.
inline constexpr std::size_t outbound_pause_frames = 4;
// Hard bound: a session whose queue still grows past this (only possible with
// a bug or a peer that never reads) is closed. 16 frames of up to 1 MiB each
// keeps the worst case per session at 16 MiB.
inline constexpr std::size_t outbound_max_frames = 16;

// A device must finish hello/auth quickly; sockets that never authenticate
// would otherwise hold a file descriptor forever.
inline constexpr auto auth_timeout = 15s;

// WebSocket idle: after this long without traffic Beast pings, and closes if
// the ping is not answered within the same time. Tablets drop off Wi-Fi
// without a FIN; this is how we notice.
inline constexpr auto ws_idle_timeout = 60s;
// Opening and closing handshakes.
inline constexpr auto ws_handshake_timeout = 15s;

// HTTP: a keep-alive connection with no request for this long is closed, and
// a request must arrive completely within it.
inline constexpr auto http_timeout = 30s;
// Requests are tiny GETs (and the upgrade); bodies above this are refused.
inline constexpr std::size_t http_body_limit = 16 * 1024;
// Keep-alive HTTP connections are cheap, but this bounds a misbehaving client.
inline constexpr std::size_t http_header_limit = 16 * 1024;

// After SIGTERM/SIGINT: sessions are asked to close with going-away; whatever
// is still open after this grace is cut so the process exits promptly
// (systemd's default stop timeout is 90 s; we stay far below it).
inline constexpr auto shutdown_grace = 3s;

// Listen backlog: a panel is tens of devices; the OS default is plenty but we
// state it so a reconnect storm after a Wi-Fi outage is not silently clipped.
inline constexpr int listen_backlog = 128;

// Pull answers: bytes reserved in a changes frame for the message framing
// around the envelopes (type, array headers, next, more) and per item
// (array header, server_seq, bin header). Generous upper bounds of msgpack.
inline constexpr std::size_t changes_frame_overhead = 64;
inline constexpr std::size_t changes_item_overhead = 16;

}  // namespace packline::server::tuning
