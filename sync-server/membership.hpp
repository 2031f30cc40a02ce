// Membership of secured spaces on the server: per space, the
// keyring built from its stored keyring records (client-core's
// keyring::state, the same code every replica runs), so the server refuses
// pushes and pulls of devices that are not members or were revoked, and
// admits keyring records only when they apply. The server never holds a key
// that opens a payload. Touched on the io thread only; load() runs on the
// store thread and its result is installed on the io thread.
#pragma once
#include <cstdint>
#include <map>
#include <set>

#include "packline/base/bytes.hpp"
#include "packline/crypto/keyring.hpp"
#include "packline/base/result.hpp"

namespace packline::server {

class store;

struct space_keyring {
  keyring::state state;
  bool empty = true;           // no change stored yet (a genesis may come)
  bool records_in_flight = false;  // a push with keyring records is being stored
  // Server sequences of the stored keyring records, for keyring_get (v3): a
  // new device fetches them before a sealed snapshot without a scan.
  std::set<std::uint64_t> record_seqs;
};

class membership {
 public:
  space_keyring* find(const bytes& space);
  // Reads every stored change of `space` and applies its keyring records in
  // server order (store thread). O(history) once per space per server start.
  static result<space_keyring> load(store& db, const bytes& space);
  // Installs a loaded keyring unless one is there already (io thread).
  space_keyring& install(const bytes& space, space_keyring k);

 private:
  std::map<bytes, space_keyring> spaces_;
};

}  // namespace packline::server
