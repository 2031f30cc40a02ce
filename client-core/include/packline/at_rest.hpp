// The replica at rest: the bytes a device stores
// (browser storage, native file) are the replica image sealed with
// XChaCha20-Poly1305 under a key derived from the member's passphrase with
// Argon2id. Pure functions; the host keeps the storage_key in memory after
// unlocking so that saving never pays for Argon2id again.
#pragma once
#include <string_view>

#include "packline/bytes.hpp"
#include "packline/crypto.hpp"
#include "packline/result.hpp"

namespace packline::at_rest {

// A derived storage key with the salt and parameters it came from (both are
// stored in clear in the sealed header so the key can be derived again).
struct storage_key {
  crypto::secret key;
  bytes salt;
  crypto::kdf_params params;
};

// The shortest passphrase a copy is sealed under, in characters (the web
// form says the same; the core enforces it for every host).
inline constexpr std::size_t min_passphrase_chars = 10;

// A fresh key (random salt) for a new device or a passphrase change;
// errc::invalid_argument, with the reason, for a passphrase shorter than
// min_passphrase_chars.
result<storage_key> new_key(std::string_view passphrase, crypto::kdf_params p = crypto::storage_kdf);
// The key that opens `sealed` if the passphrase is right (reads salt and
// parameters from its header); malformed header: errc::corrupt_replica.
result<storage_key> key_for(const bytes& sealed, std::string_view passphrase);

// Sealed format, version 1:
//   "PLR1" | ops u32be | mem_kib u32be | salt 16 | check 16 | nonce 24 | ciphertext+tag
// `check` = BLAKE2b-128 keyed by the key over "packline-replica-check-v1", so a
// wrong passphrase is told apart from damaged data. The 44-byte header (up to
// and including check) is the associated data.
inline constexpr std::size_t header_bytes = 4 + 4 + 4 + 16 + 16;
bool is_sealed(const bytes& b);
result<bytes> seal_replica(const bytes& image, const storage_key& k);
// errc::wrong_passphrase: the key check fails. errc::corrupt_replica: the
// header matches but the data was truncated or altered. Nothing is modified:
// the host keeps the stored bytes (and its previous good copy).
result<bytes> open_replica(const bytes& sealed, const storage_key& k);

}  // namespace packline::at_rest
