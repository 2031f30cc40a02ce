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

namespace packline {

class db;

// A materialised row as field → value, with its id.
struct row {
  bytes id;
  std::vector<std::pair<std::string, value>> fields;
  const value* get(std::string_view f) const;
  std::string text(std::string_view f) const;  // "" unless a string
};

enum class apply_status { applied, duplicate };

class replica {
 public:
  // A new empty replica for a device whose secret is the 32-byte seed.
  static result<std::unique_ptr<replica>> create(const bytes& device_seed);
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

  // Local transaction: assigns seq and HLC, signs, logs as pending, applies.
  result<std::uint64_t> commit(std::vector<op> ops, std::uint64_t now_ms);

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

  // SHA-256 over every materialised table in a canonical order (convergence checks).
  bytes digest();

 private:
  replica(std::unique_ptr<db> d, crypto::signing_key k);
  result<void> load_state();
  result<void> apply_ops(const change_body& body, const bytes& actor);
  std::unique_ptr<db> db_;
  crypto::signing_key key_;
  hlc_clock clock_;
  std::uint64_t next_seq_ = 1;
  std::map<std::string, std::set<std::string>> columns_;  // materialised tables
};

bytes new_row_id();  // 16 random bytes

}  // namespace packline
