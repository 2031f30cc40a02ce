// A keyring record as it travels: the payload of a plaintext envelope that
// changes who belongs to a secured panel (crypto/keyring.hpp has what the
// records mean, how they are signed and the state they build). Plain values,
// encoded by the codec.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "packline/base/bytes.hpp"

namespace packline::keyring {

// envelope.epoch of a keyring record (its payload is the plaintext record).
// Change envelopes use 0 (open space, plaintext: legacy and the demo) or
// 1.. (sealed under that epoch's space key).
inline constexpr std::uint32_t record_epoch = 0xffffffff;

// Devices in one epoch record: a panel is ~20 members with a few tablets each.
inline constexpr std::size_t max_grants = 1024;

enum class kind : std::uint8_t {
  genesis = 1,     // admin: founds a secured space (admin_pk, lease_ms); must be the space's first change
  enrol = 2,       // admin: device (device, xpk) belongs to member with role
  invite = 3,      // admin: one-time invite (invite_id, invite_pk, member, role, expires_ms,
                   //        epoch + sealed: that epoch's space key sealed to the invite's X25519 key)
  join = 4,        // invite key: device (= the envelope's actor) redeems invite_id at at_ms
  epoch = 5,       // admin: new space key epoch, grants = key sealed to each remaining device
  grant = 6,       // admin: key of `epoch` sealed to one device (joined after that epoch began)
  remove = 7,      // admin: member and all its devices removed
  revoke = 8,      // admin: one device revoked (a lost tablet)
  lease = 9,       // admin: the offline lease (lease_ms)
  member_key = 10, // a device of `member`: the member key sealed to another device of the member
  role = 11,       // admin: member's role changes
  key_request = 12,  // a member device (= device, the envelope's actor) asks for the key of `epoch`
};

struct grant {
  bytes device;  // Ed25519 public key (device id)
  bytes sealed;  // crypto_box_seal of the key to that device's X25519 key
  bool operator==(const grant&) const = default;
};

// One record; which fields are used depends on `k` (see kind). Unused fields
// stay empty/zero and are encoded as such.
struct record {
  kind k = kind::genesis;
  bytes admin_pk;   // 32
  bytes member;     // 16: a member id (the member row's id)
  bytes device;     // 32
  bytes xpk;        // 32: the device's X25519 key
  bytes invite_id;  // 16
  bytes invite_pk;  // 32: Ed25519 key of the invite secret
  bytes sealed;     // a sealed key
  std::string role;
  std::uint64_t expires_ms = 0, at_ms = 0, lease_ms = 0;
  std::uint32_t epoch = 0;
  std::vector<grant> grants;
  // 32: the chain head this record follows (hash of the previous chained
  // record). Every admin-signed kind but genesis has one; a join (signed by
  // its invite, made offline from a code) and a member key do not.
  bytes prev;
  bytes sig;  // 64: admin signature, or the invite key's for a join
  bool operator==(const record&) const = default;
};

}  // namespace packline::keyring
