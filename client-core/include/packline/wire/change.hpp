// A change: one local transaction of one device, the unit of signing,
// encryption and sync. Plain values; encoding is in codec.hpp.
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "packline/base/bytes.hpp"
#include "packline/base/hlc.hpp"
#include "packline/crdt/text.hpp"

namespace packline {

// A field value. monostate is nil (a cleared field).
using value = std::variant<std::monostate, bool, std::int64_t, double, std::string, bytes>;

// set: LWW field write. text_insert/text_remove: an edit of a long-text field
// (text CRDT); for those `text` holds the edit and `val` is unused.
enum class op_kind : std::uint8_t { set = 1, text_insert = 2, text_remove = 3 };

// One write of a register, named by its change's HLC and writer (the first
// 8 bytes of the writing device's key read as a big-endian number, so
// writers order as the key bytes do: unique within a panel in practice, and
// the same on every replica, which is what ordering needs). On the wire the
// writer is those 8 bytes (PROTOCOL.md).
struct reg_ref {
  std::uint64_t writer = 0;
  hlc_timestamp hlc;
  bool operator==(const reg_ref&) const = default;
};

// A change, named by its actor and that actor's sequence number.
struct change_ref {
  bytes actor;
  std::uint64_t seq = 0;
  bool operator==(const change_ref&) const = default;
};

struct op {
  op_kind kind = op_kind::set;
  std::string table;
  bytes row;  // 16-byte row id
  std::string field;
  value val;
  text_op text;
  // set: the register writes this one supersedes (all the writer had seen).
  std::vector<reg_ref> pred;
};

// A register write of `field` of a row (the most common op).
inline op set_op(std::string table, bytes row, std::string field, value v) {
  op o;
  o.table = std::move(table);
  o.row = std::move(row);
  o.field = std::move(field);
  o.val = std::move(v);
  return o;
}

// Decoded payload of an envelope.
struct change_body {
  hlc_timestamp hlc;
  std::vector<op> ops;
  // Causal predecessors: the writer's heads when it committed. A replica
  // applies a change only after all of them.
  std::vector<change_ref> deps;
  // Secured panels: how many chained keyring records the writer had applied
  // (keyring::state::length). Sealed and signed with the change, so a
  // server that withholds a record (a removal, a demotion) from one device
  // is caught when that device reads a change of one that saw it.
  std::uint64_t keyring = 0;
};

// A replica's state without its history: registers, texts and what it covers.
struct replica_snapshot {
  bytes space;
  std::uint64_t cursor = 0;
  std::vector<change_ref> covered;  // per device, the last change included
  std::vector<change_ref> heads;
  struct reg_entry { std::string table; bytes row; std::string field; reg_ref write; value val; };
  struct text_entry { std::string table; bytes row; std::string field; bytes doc; };
  std::vector<reg_entry> regs;
  std::vector<text_entry> texts;
};

// The signed, transportable form. `payload` is the encoded change_body.
struct envelope {
  bytes space;  // 16
  bytes actor;  // 32, the device's Ed25519 public key
  std::uint64_t seq = 0;
  std::uint32_t epoch = 0;
  bytes payload;
  bytes signature;  // 64
};

// A snapshot as the server stores it (PROTOCOL.md "Snapshot blob"): the
// replica image up to server sequence `cursor`, sealed under the space key
// of `epoch` (0: an open panel, the image as is), signed by `device`.
struct snapshot_blob {
  bytes space;   // 16
  std::uint64_t cursor = 0;
  std::uint32_t epoch = 0;
  bytes device;  // 32, the uploading device's Ed25519 public key
  bytes body;    // image (epoch 0) or nonce(24) || XChaCha20-Poly1305(image)
  bytes signature;  // 64
};

}  // namespace packline
