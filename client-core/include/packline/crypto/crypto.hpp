// All cryptography of Packline, implemented in crypto.cpp on libsodium only.
// Secret key types wipe themselves on destruction and have no printing (no
// operator<<, no to_hex overload): a secret leaves only sealed or as bytes the
// caller asked for explicitly (seed(), expose()).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "packline/base/bytes.hpp"
#include "packline/wire/change.hpp"
#include "packline/base/result.hpp"

namespace packline::crypto {

// Must be called once before any other function (idempotent).
result<void> init();

bytes random_bytes(std::size_t n);

class signing_key {
 public:
  signing_key() = default;
  ~signing_key();
  signing_key(const signing_key&);
  signing_key& operator=(const signing_key&);
  // Deterministic from a 32-byte seed (the seed is the persisted secret).
  static result<signing_key> from_seed(const bytes& seed32);
  static signing_key generate();
  const bytes& public_key() const { return pk_; }
  bytes seed() const;
  bytes sign(const bytes& msg) const;

 private:
  std::array<std::uint8_t, 64> sk_{};
  bytes pk_;
};

bool verify(const bytes& public_key, const bytes& msg, const bytes& signature);

// Sign an envelope in place with the device key (actor must be its public key).
// What a device signs for an envelope: "packline-sig-v2" followed by the
// BLAKE2b-256 of codec::envelope_signed_bytes(e). One fast pass over the
// payload, then Ed25519 over 47 bytes (Ed25519 alone hashes a message twice
// with SHA-512, which dominated big changes).
bytes envelope_to_sign(const envelope& e);
void sign_envelope(envelope& e, const signing_key& key);
// Checks shapes and the signature.
result<void> verify_envelope(const envelope& e);
// verify_envelope of a page of envelopes that the caller applies in order:
// in native builds helper threads check them ahead of the caller, so the
// checks overlap the applying (in WASM, which has no threads here, ok(i)
// checks envelope i itself). ok(i) waits for envelope i's answer, helping
// with the next unchecked ones meanwhile. The envelopes must outlive this;
// destruction stops and joins the helpers.
class envelope_checks {
 public:
  explicit envelope_checks(std::vector<const envelope*> es);
  ~envelope_checks();
  envelope_checks(const envelope_checks&) = delete;
  envelope_checks& operator=(const envelope_checks&) = delete;
  bool ok(std::size_t i);

 private:
  struct state;
  std::unique_ptr<state> s_;
};

bytes sha256(const bytes& b);

// ---- secrets and key agreement -----------------------------------

// Secret bytes (a space key, a member key, a storage key): wiped on
// destruction and on assignment; compared in constant time.
class secret {
 public:
  secret() = default;
  explicit secret(bytes b) : b_(std::move(b)) {}
  ~secret();
  secret(const secret& o) : b_(o.b_) {}
  secret(secret&& o) noexcept : b_(std::move(o.b_)) {}
  secret& operator=(const secret& o);
  secret& operator=(secret&& o) noexcept;
  static secret random(std::size_t n);
  const std::uint8_t* data() const { return b_.data(); }
  std::size_t size() const { return b_.size(); }
  bool empty() const { return b_.empty(); }
  // The raw bytes, for sealing to a device or storing inside the encrypted
  // replica; never for logs.
  const bytes& expose() const { return b_; }
  bool operator==(const secret& o) const;

 private:
  bytes b_;
};

// X25519 key pair for crypto_box_seal (space and member keys are sealed to
// it). A device derives it from its 32-byte seed, an invite from its secret.
class box_key {
 public:
  box_key() = default;
  ~box_key();
  box_key(const box_key&);
  box_key& operator=(const box_key&);
  // Deterministic: KDF(seed, "plx25519") is the X25519 secret.
  static result<box_key> derive(const bytes& seed32);
  const bytes& public_key() const { return pk_; }
  // Opens a crypto_box_seal to this key; errc::crypto if it was not for us or was altered.
  result<secret> open(const bytes& sealed) const;

 private:
  std::array<std::uint8_t, 32> sk_{};
  bytes pk_;
};

// crypto_box_seal of `s` to an X25519 public key (anonymous sender).
result<bytes> seal_to(const bytes& x25519_public_key, const secret& s);

// XChaCha20-Poly1305-IETF. Output: nonce(24) || ciphertext || tag(16). The
// nonce is random unless given (known-answer tests only).
inline constexpr std::size_t aead_key_bytes = 32;
inline constexpr std::size_t aead_overhead = 24 + 16;
result<bytes> aead_seal(const secret& key, const bytes& ad, const bytes& plaintext, const bytes& nonce24 = {});
// errc::crypto when the key is wrong or anything (nonce, ciphertext, ad) changed.
result<bytes> aead_open(const secret& key, const bytes& ad, const bytes& sealed);

// Seals `body` (an encoded change_body) under the epoch's space key with the
// envelope's plaintext header (codec::envelope_signed_header: space, actor,
// seq, epoch) as associated data, then signs: e.space, e.seq and e.epoch must be set.
result<void> seal_envelope(envelope& e, const bytes& body, const secret& space_key, const signing_key& key,
                           const bytes& nonce24 = {});
// Opens the payload of a verified envelope (errc::crypto: wrong key or altered).
result<bytes> open_envelope(const envelope& e, const secret& space_key);

// Snapshot blobs (PROTOCOL.md "Snapshot blob"). The header
// (codec::snapshot_blob_header: space, cursor, epoch, device) is the AEAD's
// associated data, so a body cannot be moved to another panel, cursor or
// epoch; the device signs "packline-snap-sig-v1" || BLAKE2b-256(header ||
// body), one pass over a large body as for envelopes.
// Fills b.body (the image sealed under `space_key`, or the image itself when
// `space_key` is null: an open panel, epoch 0), b.device and b.signature;
// b.space, b.cursor and b.epoch must be set.
result<void> seal_snapshot(snapshot_blob& b, const bytes& image, const secret* space_key, const signing_key& key,
                           const bytes& nonce24 = {});
// Checks shapes and that b.device signed it (errc::bad_signature otherwise).
result<void> verify_snapshot(const snapshot_blob& b);
// The image of a verified sealed blob (errc::crypto: wrong key or altered).
result<bytes> open_snapshot(const snapshot_blob& b, const secret& space_key);

// Argon2id (crypto_pwhash, ALG_ARGON2ID13): `ops` passes over `mem_kib` KiB.
struct kdf_params {
  std::uint32_t ops = 0;
  std::uint32_t mem_kib = 0;
};
// Default for the replica at rest: 3 passes over 64 MiB (libsodium's
// INTERACTIVE memory with one more pass); measured in bench/run crypto, see
// crypto_bench.cpp. A tablet pays it once per unlock, never per save.
inline constexpr kdf_params storage_kdf{3, 64 * 1024};
inline constexpr std::size_t kdf_salt_bytes = 16;
result<secret> derive_key(std::string_view passphrase, const bytes& salt16, kdf_params p);

// BLAKE2b keyed by `key` over `msg`, `out` bytes (16..64): key checks and
// derived ids that must not reveal the key.
bytes keyed_hash(const secret& key, std::string_view msg, std::size_t out = 16);

// BLAKE2b without a key, `out` bytes (16..64): a digest that detects damage
// to stored bytes (not a secret, not a signature).
bytes digest(const std::uint8_t* data, std::size_t size, std::size_t out = 16);

}  // namespace packline::crypto
