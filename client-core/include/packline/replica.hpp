// A device's replica: the change log, LWW registers and the materialised
// tables of schema/replica, in an in-memory SQLite database. No I/O: the host
// persists the bytes of save() and hands them back to open(); time comes in as
// now_ms arguments. Not thread-safe: one owner drives it.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "packline/change.hpp"
#include "packline/crypto.hpp"
#include "packline/result.hpp"
#include "packline/text.hpp"

namespace packline {

class db;

// A materialised row as field → value, with its id.
struct row {
  bytes id;
  std::vector<std::pair<std::string, value>> fields;
  const value* get(std::string_view f) const;
  std::string text(std::string_view f) const;  // "" unless a string
};

// applied: in the state now; duplicate: known already; waiting: held until
// its causal predecessors arrive (then applied without another call).
enum class apply_status { applied, duplicate, waiting };

// A field with concurrent writes: the materialised winner and the others.
struct conflict {
  bytes row;
  std::string field;
  value winner;
  std::vector<value> others;
};

class replica {
 public:
  // A new empty replica for a device whose secret is the 32-byte seed.
  static result<std::unique_ptr<replica>> create(const bytes& device_seed);
  // A new device starting from another replica's snapshot(); it then pulls
  // the changes after the snapshot's cursor.
  static result<std::unique_ptr<replica>> from_snapshot(const bytes& device_seed, const bytes& snapshot);
  // Reopen from bytes produced by save(); corrupt bytes give corrupt_replica.
  static result<std::unique_ptr<replica>> open(const bytes& image);
  ~replica();

  result<bytes> save();

  const bytes& device_id() const { return key_.public_key(); }
  // Signs with the device key (the auth challenge).
  bytes key_sign(const bytes& msg) const { return key_.sign(msg); }
  bytes space();
  result<void> set_space(const bytes& space16);
  // Free-form local settings (e.g. which member signed in on this device).
  std::string setting(const std::string& key);
  result<void> set_setting(const std::string& key, const std::string& value);

  // Local transaction: assigns seq, HLC, deps and each set's pred, signs,
  // logs as pending, applies. Writing a field that has conflicts resolves them.
  result<std::uint64_t> commit(std::vector<op> ops, std::uint64_t now_ms);

  // Long text (text CRDT): replace `del` code points at `pos` with `insert`.
  result<std::uint64_t> edit_text(const std::string& table, const bytes& row, const std::string& field,
                                  std::size_t pos, std::size_t del, const std::string& insert, std::uint64_t now_ms);
  // Sets a long-text field to `text` as the smallest edit from its current text
  // (common prefix and suffix kept), so concurrent edits elsewhere survive.
  result<std::uint64_t> set_text(const std::string& table, const bytes& row, const std::string& field,
                                 const std::string& text, std::uint64_t now_ms);
  // Ops for set_text without committing (to add to a larger transaction).
  result<std::vector<op>> text_ops(const std::string& table, const bytes& row, const std::string& field,
                                   const std::string& text);
  std::string text(const std::string& table, const bytes& row, const std::string& field);

  // Fields of a table (optionally one row) with concurrent writes.
  result<std::vector<conflict>> conflicts(const std::string& table, const bytes& row = {});

  // The whole state without history; see from_snapshot.
  result<bytes> snapshot();
  // Changes held waiting for predecessors.
  std::size_t waiting_count();

  // A change from the server. Idempotent: a known (actor, seq) is a duplicate.
  result<apply_status> apply(const bytes& envelope_bytes, std::uint64_t server_seq,
                             std::uint64_t now_ms);

  // Own changes the server has not acknowledged, oldest first.
  std::vector<bytes> pending(std::size_t max);
  std::size_t pending_count();
  result<void> acked(const bytes& actor, std::uint64_t seq, std::uint64_t server_seq);

  // Highest server sequence applied from pulls (pull from here).
  std::uint64_t cursor();
  result<void> set_cursor(std::uint64_t c);

  // Materialised rows of a table (not deleted), optionally where field == value,
  // ordered by `order_by` (a field name) then id.
  result<std::vector<row>> rows(const std::string& table, const std::string& where_field = {},
                                const value& equals = {}, const std::string& order_by = {});

  // SHA-256 over every materialised table and the registers, in a canonical
  // order (convergence checks).
  bytes digest();

 private:
  replica(std::unique_ptr<db> d, crypto::signing_key k);
  result<void> load_state();
  result<void> apply_ops(const change_body& body, const bytes& actor);
  result<void> apply_set(const op& o, const hlc_timestamp& hlc, const bytes& actor);
  result<void> materialise(const std::string& table, const bytes& row, const std::string& field, const value& v);
  result<text_doc*> doc(const std::string& table, const bytes& row, const std::string& field);
  result<void> store_doc(const std::string& table, const bytes& row, const std::string& field);
  bool applied(const bytes& actor, std::uint64_t seq);
  result<bool> deps_ready(const bytes& actor, std::uint64_t seq, const change_body& body);
  result<void> apply_change(const envelope& e, const bytes& env_bytes, const change_body& body,
                            std::uint64_t server_seq, std::uint64_t now_ms);
  result<void> drain_waiting(std::uint64_t now_ms);
  result<std::vector<change_ref>> heads();
  std::unique_ptr<db> db_;
  crypto::signing_key key_;
  hlc_clock clock_;
  std::uint64_t next_seq_ = 1;
  std::map<std::string, std::set<std::string>> columns_;  // materialised tables
  std::map<std::string, text_doc> docs_;  // decoded text fields, by table/row/field
  std::uint64_t text_counter_ = 1;        // next char id of this device
};

bytes new_row_id();  // 16 random bytes

}  // namespace packline
