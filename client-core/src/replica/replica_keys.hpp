// Private to client-core: what a replica holds for secured panels besides its SQLite
// image (keyring state replayed from the image, unwrapped keys, the storage
// key), owned by one replica, and the helpers its key files share (keys.cpp,
// keyring_records.cpp, membership.cpp, lease.cpp, snapshot.cpp).
#pragma once
#include <map>
#include <optional>
#include <set>

#include "packline/crypto/at_rest.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/crypto/keyring.hpp"
#include "packline/replica/replica.hpp"
#include "replica/db.hpp"

namespace packline {

struct replica::keys {
  keyring::state kr;
  crypto::box_key box;                               // this device's X25519 key
  std::map<std::uint32_t, crypto::secret> epochs;    // space key per epoch held
  std::map<bytes, crypto::secret> members;           // member keys held (normally ours only)
  std::optional<crypto::signing_key> admin;          // the panel's admin key (founding device)
  std::optional<at_rest::storage_key> storage;       // after unlock / set_passphrase
  std::uint64_t log_size = 0;                        // keyring records applied
  std::set<std::uint64_t> own_records;               // seqs of our records not applied yet (settle_acked)
  std::map<bytes, std::uint64_t> out_at;             // device -> server_seq of the remove/revoke that took it out
  // device -> (server_seq of a role record, the device's role until then), in server order
  std::map<bytes, std::vector<std::pair<std::uint64_t, std::string>>> role_before;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> epoch_from;  // (server_seq of an epoch record, its epoch), in order
  struct judged { bytes actor; std::uint64_t seq = 0, server_seq = 0; };
  std::optional<judged> judging;                     // a held change being retried, with its server_seq
  bool settling = false;
  // settle_acked's last "not yet" (own record seq, cursor then): nothing
  // can have changed for it until the cursor moves.
  std::pair<std::uint64_t, std::uint64_t> unsettled{0, 0};
  // The offline lease (replica.hpp): this device's lease secret while
  // unlocked; whether the server has handed it back; a locked replica's
  // sealed image and when its lease ended.
  std::optional<crypto::secret> lease;
  bool lease_registered = false;
  bool locked = false;
  bytes locked_image;
  std::uint64_t lease_until = 0;
};

}  // namespace packline

namespace packline::detail {

// meta keys of this module
constexpr std::string_view k_log = "kr:";               // + 20-digit position: keyring record envelopes, in apply order
constexpr std::string_view k_epoch = "key:epoch:";      // + 10-digit epoch: space key
constexpr std::string_view k_member = "key:member:";    // + member hex: member key
constexpr std::string_view k_admin = "key:admin";       // admin key seed (founding device)
constexpr std::string_view k_invite = "key:invite";     // invite secret until this device's join is applied
constexpr std::string_view k_self_member = "self:member";
constexpr std::string_view k_self_role = "self:role";
constexpr std::string_view k_contact = "lease:contact";  // last welcome from the server (ms)
constexpr std::string_view k_nokey = "nokey:";          // + 20-digit server_seq: changes held for their epoch key
constexpr std::string_view k_own = "krown:";            // + 20-digit seq: our keyring records not applied yet
constexpr std::string_view k_asked = "key:asked";       // the last epoch this device asked the admin for
constexpr std::string_view private_magic = "PLP1";
// The role whose devices publish a secured panel's snapshots (see can_snapshot).
inline const std::string publisher_role = "clerk";

inline std::string num_key(std::string_view prefix, std::uint64_t n, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(n));
  return std::string(prefix) + buf;
}


inline result<void> mdel(db& d, const std::string& key) {
  auto s = d.prepare("DELETE FROM meta WHERE key = ?1");
  if (!s) return s.err();
  return (*s)->bind(1, std::string_view(key)).run();
}

inline result<void> mdel_prefix(db& d, std::string_view prefix) {
  auto s = d.prepare("DELETE FROM meta WHERE substr(key, 1, length(?1)) = ?1");
  if (!s) return s.err();
  return (*s)->bind(1, prefix).run();
}

inline result<std::vector<std::pair<std::string, value>>> mlist(db& d, std::string_view prefix) {
  std::vector<std::pair<std::string, value>> out;
  auto s = d.prepare("SELECT key, value FROM meta WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key");
  if (!s) return s.err();
  (*s)->bind(1, prefix);
  PL_TRY(each_row(*s, [&](stmt& st) { out.emplace_back(st.column_text(0), st.column(1)); }));
  return out;
}

inline const bytes* as_bytes(const value& v) { return std::holds_alternative<bytes>(v) ? &std::get<bytes>(v) : nullptr; }

inline bytes invite_id_of(const crypto::secret& s) { return crypto::keyed_hash(s, "packline-invite-id-v1", 16); }

inline error refused(std::string why) { return make_error(errc::forbidden, std::move(why)); }


inline result<std::optional<std::uint64_t>> server_seq_in(db& d, const char* table, const bytes& actor, std::uint64_t seq) {
  // Table names are constants of this file, never input.
  auto s = d.prepare(std::string("SELECT server_seq FROM ") + table + " WHERE actor = ?1 AND seq = ?2");
  if (!s) return s.err();
  (*s)->bind(1, actor).bind(2, static_cast<std::int64_t>(seq));
  auto r = (*s)->step();
  if (!r) return r.err();
  std::optional<std::uint64_t> out;
  if (*r && std::holds_alternative<std::int64_t>((*s)->column(0))) out = static_cast<std::uint64_t>((*s)->column_int(0));
  (*s)->reset();
  return out;
}

}  // namespace packline::detail
