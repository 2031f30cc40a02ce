// The clerk's tablets desk: on the admin device of a secured panel, each
// member's tablets (when each joined, when a change from it was last seen),
// the invites and what became of them; revoking a lost tablet and removing a
// member, both starting a new key epoch. Reads the keyring and the change
// log; writes are keyring records made by replica. Ids cross as hex.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "packline/replica/replica.hpp"

namespace packline::tablets {

struct tablet {
  std::string device;  // hex of the device key
  std::string status;  // "active", "revoked" (one tablet), "removed" (its member was removed)
  std::uint64_t joined_ms = 0;       // when it joined with an invite; 0: enrolled by the admin (the founder's)
  std::uint64_t last_change_ms = 0;  // newest change from it this replica holds, by its own clock; 0: none
  bool this_tablet = false;
  bool pending = false;  // revoked or removed here, not yet on the server (this tablet is offline)
};
struct member {
  std::string id, name, role;
  bool removed = false;
  bool pending = false;  // removed here, not yet on the server
  std::vector<tablet> tablets;  // in the order they joined
};
struct invite {
  std::string id, member, name, role;
  std::uint64_t expires_ms = 0;
  // "open" (waiting to be used), "used", "expired" (never used), "cancelled"
  // (its member was removed before anyone joined with it).
  std::string status;
  std::string device;       // the tablet that joined with it ("" unless used)
  std::uint64_t used_ms = 0;
  bool pending = false;  // made here, not yet on the server: it works once it is
};
struct overview {
  std::vector<member> members;  // by name
  std::vector<invite> invites;  // newest expiry first
};

// The admin device only (errc::forbidden elsewhere): what the keyring says of
// members, tablets and invites as of `now_ms`, with this tablet's own
// revocations, removals and invites not yet on the server (`pending`). "Last change seen" is a
// tablet's activity, kept to the device that manages the panel.
result<overview> list(replica& r, std::uint64_t now_ms);
// A lost tablet: the server refuses it at once and the panel's next key
// goes only to the other tablets. Not this tablet, not one revoked already.
result<void> revoke(replica& r, const std::string& device, std::uint64_t now_ms);
// A member leaves: every tablet of theirs is refused, their open invites die,
// and a new key epoch begins that none of their tablets receives. Not the
// member this tablet acts for.
result<void> remove_member(replica& r, const std::string& member, std::uint64_t now_ms);

}  // namespace packline::tablets
