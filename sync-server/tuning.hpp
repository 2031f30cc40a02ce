// Tuning constants of the sync server, each with its reason. Protocol limits
// (frame, envelope, batch and snapshot sizes, versions) are not here: they are
// part of the wire contract and live in client-core's limits.hpp.
// Compile-time constants only.
#pragma once
#include <chrono>
#include <cstddef>

namespace packline::server::tuning {

using namespace std::chrono_literals;

// Outbound queue of one WebSocket session. A session handles one request at
// a time, so answers add at most one frame (<= max_frame_bytes) at a time;
// when answers are still queued (the client does not read) the session stops
// reading requests until the socket drains.
inline constexpr std::size_t outbound_pause_frames = 2;
// Live frames (protocol v2) are what can pile up for a slow or stuck reader.
// Past either bound the session is told to resync (error 10) and dropped:
// a stuck client costs at most these plus one answer, never more. 64 frames
// is seconds of a busy panel; 512 KiB is a pack import in flight.
inline constexpr std::size_t outbound_max_frames = 64;
inline constexpr std::size_t outbound_max_bytes = 512 * 1024;
// Server-wide: the outbound queues of all sessions together. Each session's
// own bound (above, plus up to two answer frames) times thousands of
// sessions that stop reading would be gigabytes; past this cap the sessions
// holding the most are told to resync and closed until the total is under
// three quarters of it. 64 MiB is hundreds of busy readers' worth of frames
// and keeps the whole server well inside a small VM's memory. The default of
// --max-outbound-mb.
inline constexpr std::size_t outbound_global_max_bytes = 64u << 20;
// Live frames queued behind a write are merged into one frame up to this
// size (one syscall instead of many for a reader that fell a little behind).
inline constexpr std::size_t live_coalesce_max_bytes = 256 * 1024;
// A session dropped for resync gets this long to take its error frame and the
// close; a reader that is truly stuck is then cut at the TCP level.
inline constexpr auto resync_close_grace = 2s;

// Signature checks of pushed envelopes run on this many threads besides the
// io thread (Ed25519 verify is ~50 us: one core checks ~20k changes/s).
// Two, because the target machine has two cores; more only adds switching.
inline constexpr unsigned verify_threads = 2;
// Group commit: pushes waiting when the store thread is free are committed in
// one transaction (one WAL sync). This caps a group so one commit (and the
// acks waiting on it) stays short.
inline constexpr std::size_t group_commit_max_changes = 4096;

// SQLite WAL: a background connection checkpoints (PASSIVE) this often, so
// commits never wait for a checkpoint's copy and fsync; the writer's own
// auto-checkpoint is only a backstop at this many pages (4 KiB each: 64 MiB).
inline constexpr auto wal_checkpoint_interval = 500ms;
inline constexpr int wal_autocheckpoint_pages = 16384;

// Start-up integrity check of the SQLite store (quick_check reads every
// page): within this budget a store of a few GB is checked whole; a bigger
// one starts anyway, and says the check was incomplete. Reads still check
// each change's digest.
inline constexpr auto startup_check_budget = 20s;

// Snapshots: complete snapshots kept per space. Two, so a download in
// progress survives one newer upload.
inline constexpr std::size_t snapshots_kept = 2;

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

// Listen backlog: a council's thousands of tablets reconnect together after a
// network outage; a short backlog turns that storm into SYN retries of 1 s+.
// (The kernel caps it at net.core.somaxconn, 4096 by default.)
inline constexpr int listen_backlog = 4096;

// Pull answers: bytes reserved in a changes frame for the message framing
// around the envelopes (type, array headers, next, more) and per item
// (array header, server_seq, bin header). Generous upper bounds of msgpack.
inline constexpr std::size_t changes_frame_overhead = 64;
inline constexpr std::size_t changes_item_overhead = 16;

}  // namespace packline::server::tuning
