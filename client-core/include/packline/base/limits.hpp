// Every size and count limit of the protocol and the stores, each with its
// reason. The server and the client read them from here only.
#pragma once
#include <cstddef>
#include <cstdint>

namespace packline::limits {

// Protocol version spoken by this build (hello carries the version the
// client wants). Version 2 adds snapshots and live frames; version 3 signed
// (and in secured panels sealed) snapshots, welcome's snapshot cursor and
// keyring_get; version 4 the server's time in welcome; version 5 the
// device's sealed lease secret in auth and welcome; a server also
// speaks every version down to min_protocol_version, so tablets that have not
// updated their cached webapp keep syncing (v1: notify + pull only).
inline constexpr std::uint32_t protocol_version = 5;
inline constexpr std::uint32_t min_protocol_version = 1;

// A frame holds at most one push or one changes batch; 1 MiB keeps a batch of
// max_push_envelopes full-size-ish changes while bounding per-session memory.
inline constexpr std::size_t max_frame_bytes = 1 << 20;

// A device's lease secret sealed to its own key (32 bytes + crypto_box_seal's
// 48): the server keeps one per current device of a secured space.
inline constexpr std::size_t sealed_lease_bytes = 80;

// One change is one user transaction (a question, an annotation, an import
// chunk). 256 KiB fits a pack chunk; bigger imports are split by the client.
inline constexpr std::size_t max_envelope_bytes = 256 * 1024;

// Causal predecessors named by one change (normally one or two heads).
inline constexpr std::size_t max_deps = 1024;

// Rows a replica keeps decoded in memory between changes (their registers
// and pending writes): a panel's working set is a few thousand rows, and
// 20,000 is a few MiB, also in the browser.
inline constexpr std::size_t row_cache_rows = 20'000;

// Field names a replica remembers as materialised or not for the table a
// change writes (a table has a few dozen columns; names come from input, so
// the list is bounded).
inline constexpr std::size_t column_memo_fields = 64;

// A replica snapshot (replica::snapshot) before sealing: the whole state of a
// space; kept below max_snapshot_blob_bytes so it still fits once sealed.
inline constexpr std::size_t max_replica_snapshot_bytes = 64u << 20;

// Envelopes per push: small enough that one SQLite transaction stays short.
inline constexpr std::size_t max_push_envelopes = 256;

// Changes per pull answer (the server also stops at max_frame_bytes).
inline constexpr std::uint32_t max_pull_changes = 512;

// Decoded items (values and containers) in one frame: a changes or live
// frame holds max_pull_changes entries of three items, an ack
// max_push_envelopes of four, plus the message's own few. A frame may not
// make the decoder build a tree larger than this, whatever its bytes say.
inline constexpr std::size_t max_frame_items = 4 * max_pull_changes + 64;

// A session that has not authenticated yet may send hello and auth only
// (under 200 bytes): a frame over this before auth is refused, so an
// unauthenticated client costs next to nothing to read.
inline constexpr std::size_t max_preauth_frame_bytes = 64 * 1024;

// Ops in one change and lengths inside an op.
inline constexpr std::size_t max_ops_per_change = 4096;
inline constexpr std::size_t max_name_bytes = 64;     // table and field names
inline constexpr std::size_t max_value_bytes = 200 * 1024;
inline constexpr std::size_t max_error_text = 1024;

// Snapshot blobs on the wire (protocol v2): a sealed replica image, moved in
// chunks so no frame exceeds max_frame_bytes (512 KiB leaves half a frame of
// headroom). A blob is bounded above the replica's own image limit to leave
// room for sealing; it bounds what one kept snapshot costs the server's disk.
inline constexpr std::size_t max_snapshot_chunk = 512 * 1024;
inline constexpr std::uint64_t max_snapshot_blob_bytes = 80ull << 20;

// A device offers a snapshot once it has applied this many server changes
// since the last snapshot it uploaded or started from. A new device then
// pulls at most about two pull pages (max_pull_changes) after the newest
// snapshot, while each device re-sends its whole image at most once per this
// many changes (a panel writes a few hundred changes a meeting).
inline constexpr std::uint64_t snapshot_every_changes = 1000;

// error{gone} restarts a download from the newest snapshot; the server keeps
// two (snapshots_kept), so a download only loses the race to two uploads in
// a row. After this many restarts the client pulls the history instead.
inline constexpr std::uint32_t max_snapshot_restarts = 3;

// A remote HLC more than this ahead of our clock is not adopted by our clock
// (its change applies all the same): one tablet with a clock far ahead must
// not drag every replica's clock into the future (hlc.hpp).
inline constexpr std::uint64_t max_clock_skew_ms = 5 * 60 * 1000;

// Long text members type (the panel workflow): a question (a draft or the chair's
// wording) is read out at a meeting, so a page at most; a note, KLOE lines or
// forward-plan notes may be longer. A 50,000-character paste is refused with
// its word count, not stored (it made the board 30,000 px tall).
inline constexpr std::int64_t max_question_words = 2000;
inline constexpr std::int64_t max_note_words = 5000;

}  // namespace packline::limits
