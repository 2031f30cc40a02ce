// The panel's keyring: who belongs to a secured space,
// with which role and device keys, which invites are open, and the space key
// epoch. It is built from keyring records that travel in the change stream as
// plaintext envelopes (epoch = record_epoch), signed by the panel's admin key
// (or, for a join, by the invite's key), so the server and every replica run
// the same state::apply over the same records in server order and agree.
// Every admin-signed record names its predecessor (`prev`, the hash of the
// record the chain held last), so a record applies once, in its place, and
// nowhere else: an old promotion or removal sent again is refused.
// Pure values and functions: no I/O, no clock (times come in the records).
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "packline/base/bytes.hpp"
#include "packline/wire/change.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/wire/keyring_record.hpp"
#include "packline/base/result.hpp"

namespace packline::keyring {

// A device that has not reached the server for this long refuses to open its
// replica and drops its keys (panel setting; 14 days is the default).
inline constexpr std::uint64_t default_lease_ms = 14ull * 24 * 60 * 60 * 1000;
// An invite's lifetime when the clerk does not say (a week: a member gets the
// code by letter or phone and has a few evenings to set up a tablet).
inline constexpr std::uint64_t default_invite_ms = 7ull * 24 * 60 * 60 * 1000;
// A join's claimed time may run ahead of the server's clock by this much
// (same bound as HLC skew); the server refuses a join dated further ahead.
inline constexpr std::uint64_t max_join_skew_ms = 5 * 60 * 1000;

// What the admin (or invite) key signs: "packline-keyring-v2" || space ||
// the encoded record with an empty sig.
bytes signed_bytes(const bytes& space, const record& r);
void sign(record& r, const bytes& space, const crypto::signing_key& k);
// The record's place in the chain: SHA-256 of its signed bytes and signature.
bytes record_hash(const bytes& space, const record& r);
// Is `k` one of the kinds chained by `prev` (genesis starts the chain)?
bool chained(kind k);

struct device_info {
  bytes member;
  std::string role;
  bytes xpk;
  bool revoked = false;
};
struct invite_info {
  bytes pk;
  bytes member;
  std::string role;
  std::uint64_t expires_ms = 0;
  std::uint32_t epoch = 0;
  bytes sealed;
  bool used = false;   // joined, or its member was removed before anyone joined
  bytes joined_by;     // the device that joined with it (empty: none)
  std::uint64_t joined_ms = 0;  // the join's time (within max_join_skew_ms of the server's clock)
};

class state {
 public:
  // A space is secured once its genesis record applied; before that it is
  // open (epoch 0 plaintext, no membership) as today's demo panel is.
  bool secured() const { return !admin_pk_.empty(); }
  // Checks `r`, carried by `actor`'s change `seq`, as the space's next record,
  // and applies it. `first`: nothing of the space precedes it (genesis only).
  // Re-applying the same (actor, seq) is a no-op (replays). A refusal is
  // errc::forbidden (or not_member/revoked for the actor) with the reason.
  result<void> apply(const bytes& space, const record& r, const bytes& actor, std::uint64_t seq, bool first);
  // May `device` push changes and read the space? not_member / revoked otherwise.
  result<void> may_write(const bytes& device) const;
  // Would `r` from `device` be what makes it a member (join, or its own enrol)?
  static bool admits(const record& r, const bytes& device);

  bool applied(const bytes& actor, std::uint64_t seq) const { return applied_.count({actor, seq}) > 0; }
  const device_info* device(const bytes& pk) const;
  const invite_info* invite(const bytes& id) const;
  // Every device and every invite the keyring has seen, revoked and used ones
  // included (the admin device's list of tablets and invites).
  const std::map<bytes, device_info>& all_devices() const { return devices_; }
  const std::map<bytes, invite_info>& invites() const { return invites_; }
  // Current (non-revoked) devices, of one member when `member` is given.
  std::vector<std::pair<bytes, device_info>> devices(const bytes& member = {}) const;
  bool member_removed(const bytes& member) const { return removed_.count(member) > 0; }
  // Has a record sealed the key of `epoch` to `device`'s own key (an epoch's
  // grants, a grant)? The invite's key does not count: its secret is spent
  // at the join, and the device re-opens its keys from its records after an
  // offline lease. What the admin device reads to grant every device the
  // keys it lacks.
  bool has_key(const bytes& device, std::uint32_t epoch) const { return keys_.count({device, epoch}) > 0; }
  // Unused invites whose sealed key is of `epoch`, and the used ones: a used
  // or expired invite's key must not stay the panel's (the admin rotates).
  bool invite_key_spent(std::uint32_t epoch, std::uint64_t now_ms) const;
  std::uint32_t epoch() const { return epoch_; }
  // The chain's head (hash of the last chained record; empty before genesis)
  // and how many chained records it holds: what a device states it has seen.
  const bytes& head() const { return head_; }
  std::uint64_t length() const { return length_; }
  std::uint64_t lease_ms() const { return lease_ms_; }
  const bytes& admin_pk() const { return admin_pk_; }

 private:
  result<void> check(const bytes& space, const record& r, const bytes& actor, bool first) const;
  bytes admin_pk_;
  std::uint64_t lease_ms_ = default_lease_ms;
  std::uint32_t epoch_ = 0;
  std::map<bytes, device_info> devices_;
  std::map<bytes, invite_info> invites_;
  std::set<bytes> removed_;
  std::set<std::pair<bytes, std::uint64_t>> applied_;
  bytes head_;
  std::uint64_t length_ = 0;
  std::set<bytes> seen_;  // record_hash of every record applied (a body applies once)
  std::set<std::pair<bytes, std::uint32_t>> keys_;  // (device, epoch) whose key a record sealed to it
};

// The server's check of one pushed envelope (signature already verified) of
// a space whose keyring is `s`: a keyring record must apply, and is applied;
// a change must come from a member device, sealed under an epoch the keyring
// has reached (an open space takes only plaintext changes). `first`: the
// space has no change before this one. `now_ms` is the server's clock: a
// join's claimed time must be within max_join_skew_ms of it, so replicas can
// judge expiry by the record alone. Errors: not_member, revoked, forbidden.
result<void> admit(state& s, const bytes& space, const envelope& e, bool first, std::uint64_t now_ms);

// An invite as the clerk hands it over: the space and the invite secret,
// as one code (hex of space || secret, 96 characters).
struct invite_code {
  bytes space;   // 16
  crypto::secret secret;  // 32: seeds the invite's Ed25519 and X25519 keys
};
std::string format_invite(const invite_code& c);
result<invite_code> parse_invite(std::string_view code);

}  // namespace packline::keyring
