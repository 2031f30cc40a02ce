// The replica at rest: the bytes a device stores (browser
// storage, native file) are the replica image sealed with XChaCha20-Poly1305
// under a key derived from the member's passphrase with Argon2id and, in a
// secured panel, from the device's lease secret, which the server hands back
// only to the authenticated device (the offline lease, README). Pure
// functions; the host keeps the storage_key in memory after unlocking so
// that saving never pays for Argon2id again.
#pragma once
#include <optional>
#include <string_view>

#include "packline/base/bytes.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/base/result.hpp"

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
// Version 1 is still read (copies saved before version 2); it is written
// only by tests and benchmarks.
result<bytes> seal_replica(const bytes& image, const storage_key& k);
// errc::wrong_passphrase: the key check fails. errc::corrupt_replica: the
// header matches but the data was truncated or altered. Nothing is modified:
// the host keeps the stored bytes (and its previous good copy).
result<bytes> open_replica(const bytes& sealed, const storage_key& k);

// Sealed format, version 2 (what a replica saves):
//   "PLR2" | ops | mem_kib | salt 16 | check 16 | outer_len u32be | outer | image
// `outer` (nonce 24 | ciphertext+tag, the 44-byte header as associated data)
// is what the passphrase alone opens: the device's secret (to authenticate
// before anything else opens), its space, and the lease state below.
// `image` (nonce 24 | ciphertext+tag) is the replica image sealed under a key
// derived from the storage key and, when `bound`, the device's lease secret.
struct copy_outer {
  bytes seed;                           // the device's 32-byte secret
  bytes space;                          // 16 bytes, or empty before it has one
  bool bound = false;                   // the image opens only with the lease secret
  std::optional<crypto::secret> lease;  // the lease secret, cached until lease_until
  bool registered = false;              // the server has handed this lease secret back
  std::uint64_t lease_until = 0;        // Unix ms (0: the lease has not started)
};
struct opened_copy {
  copy_outer outer;
  bytes image;  // still sealed (open_image)
};
bool is_v2(const bytes& sealed);
result<bytes> seal_image(const bytes& image, const storage_key& k, const crypto::secret* lease);
// errc::lease_expired: the image does not open with that lease secret (or
// none) and the storage key; errc::corrupt_replica when it is too short.
result<bytes> open_image(const bytes& sealed_image, const storage_key& k, const crypto::secret* lease);
result<bytes> seal_copy(const copy_outer& outer, const bytes& sealed_image, const storage_key& k);
// errc::wrong_passphrase / corrupt_replica as open_replica.
result<opened_copy> open_copy(const bytes& sealed, const storage_key& k);

}  // namespace packline::at_rest
