// The sync protocol's messages (schema/PROTOCOL.md), as plain structs. This is
// the one protocol header; codec.hpp turns these into frames and back.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "packline/base/bytes.hpp"
#include "packline/base/result.hpp"

namespace packline::proto {

enum class msg_type : std::uint8_t {
  hello = 1, challenge = 2, auth = 3, welcome = 4, push = 5,
  ack = 6, pull = 7, changes = 8, notify = 9, error = 10,
  // Version 2: snapshots (chunked, resumable) and live fan-out.
  snapshot_put = 11, snapshot_ack = 12, snapshot_get = 13, snapshot = 14, live = 15,
  // Version 3: the keyring records of a secured space first (a new device
  // needs them to open and check a sealed snapshot).
  keyring_get = 16, keyring_page = 17,
};

struct hello { std::uint32_t version = 0; bytes device; bytes space; };
struct challenge { bytes nonce; bytes space; };
// v5 adds `lease`: the device's lease secret sealed to its own X25519 key
// (empty: none, e.g. a copy locked past its lease); the server keeps it for a
// current device of a secured space.
struct auth { bytes signature; bytes lease; };
// v3 adds `snapshot`: the cursor of the newest complete snapshot (0: none).
// Absent on a v1/v2 session (and in what a v2 server sends).
// v4 adds `time`: the server's wall clock (Unix ms) as it sent the welcome, so
// a device can tell that its own clock is off (and by how much).
struct welcome {
  bytes space;
  std::uint64_t cursor = 0;
  std::optional<std::uint64_t> snapshot;
  std::optional<std::uint64_t> time;
  // v5: the lease secret the server keeps for this device, sealed to it
  // (empty: none kept). Sent only after the device's signature verified, so
  // it is what reopens a copy locked past its lease.
  bytes lease;
};
struct push { std::vector<bytes> envelopes; };
struct ack_entry { bytes actor; std::uint64_t seq = 0; std::uint64_t server_seq = 0; };
struct ack { std::vector<ack_entry> entries; };
struct pull { std::uint64_t since = 0; std::uint32_t max = 0; };
struct stored_change { std::uint64_t server_seq = 0; bytes envelope; };
struct changes { std::vector<stored_change> items; std::uint64_t next = 0; bool more = false; };
struct notify { std::uint64_t cursor = 0; };
struct error { std::uint32_t code = 0; std::string text; };

// Version 2. A snapshot is an opaque blob (the replica's state up to `cursor`,
// sealed by the client) stored by the server in chunks; see PROTOCOL.md.
struct snapshot_put { std::uint64_t cursor = 0; std::uint64_t total = 0; std::uint64_t offset = 0; bytes chunk; };
struct snapshot_ack { std::uint64_t cursor = 0; std::uint64_t received = 0; bool complete = false; };
struct snapshot_get { std::uint64_t cursor = 0; std::uint64_t offset = 0; };  // cursor 0: the latest
struct snapshot { std::uint64_t cursor = 0; std::uint64_t total = 0; std::uint64_t offset = 0; bytes chunk; };
// Changes stored after `prev`, sent unasked to a session that is caught up.
struct live { std::uint64_t prev = 0; std::vector<stored_change> items; };

// Version 3. The space's keyring records (envelopes with epoch =
// keyring::record_epoch) stored after `since`, in server order, paged like
// `changes`; any other change is left out.
struct keyring_get { std::uint64_t since = 0; };
struct keyring_page { std::vector<stored_change> items; std::uint64_t next = 0; bool more = false; };

using message = std::variant<hello, challenge, auth, welcome, push, ack, pull, changes, notify, error,
                             snapshot_put, snapshot_ack, snapshot_get, snapshot, live, keyring_get, keyring_page>;

// Wire error codes beyond errc's 1..9 (errc has no value for these).
inline constexpr std::uint32_t error_resync = 10;  // outbound queue overflowed: reconnect and pull
inline constexpr std::uint32_t error_gone = 11;    // the snapshot asked for is no longer kept
// Membership of a secured space (the space's keyring).
inline constexpr std::uint32_t error_not_member = 12;  // the device is not a member (or not yet: push its join first)
inline constexpr std::uint32_t error_revoked = 13;     // the device or its member was removed; closes at once
inline constexpr std::uint32_t error_forbidden = 14;   // an envelope breaks the keyring (bad record, wrong epoch)
inline constexpr std::uint32_t error_unavailable = 15; // the server's stored data of this space is damaged; closes
// v5: a push sealed under a superseded epoch (the panel rotated between the
// device's pull and its push); answered on the same connection: pull, re-seal, push.
inline constexpr std::uint32_t error_superseded = 16;

// The one table between the core's error codes and the wire's. errc 1..9
// are the same numbers on the wire; these are the others. A core error not
// in the table is the server's own trouble, sent as `storage` (retry); a wire
// code the client does not know is taken the same way.
struct wire_error_row {
  errc local;
  std::uint32_t wire;
};
inline constexpr wire_error_row wire_errors[] = {
    {errc::not_found, error_gone},           {errc::not_member, error_not_member},
    {errc::revoked, error_revoked},          {errc::forbidden, error_forbidden},
    {errc::damaged, error_unavailable},      {errc::storage, error_resync},
    {errc::superseded, error_superseded},
    {errc::malformed, static_cast<std::uint32_t>(errc::malformed)},
};
constexpr std::uint32_t to_wire(errc e) {
  auto c = static_cast<std::uint32_t>(e);
  if (c >= 1 && c <= 9) return c;
  if (e == errc::invalid_argument) return static_cast<std::uint32_t>(errc::malformed);
  for (const auto& r : wire_errors)
    if (r.local == e) return r.wire;
  return static_cast<std::uint32_t>(errc::storage);
}
constexpr errc from_wire(std::uint32_t code) {
  if (code >= 1 && code <= 9) return static_cast<errc>(code);
  for (const auto& r : wire_errors)
    if (r.wire == code) return r.local;
  return errc::storage;
}

// Bytes signed by the device in `auth`.
bytes auth_transcript(const bytes& nonce, const bytes& space);

}  // namespace packline::proto
