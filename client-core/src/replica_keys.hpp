// Private to client-core: what a replica holds for secured panels besides its SQLite
// image (keyring state replayed from the image, unwrapped keys, the storage
// key). Owned by one replica; see replica_keys.cpp.
#pragma once
#include <map>
#include <optional>
#include <set>

#include "packline/at_rest.hpp"
#include "packline/crypto.hpp"
#include "packline/keyring.hpp"
#include "packline/replica.hpp"

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
