// All cryptography of Packline, implemented in crypto.cpp on libsodium only.
// Secret key types wipe themselves on destruction and have no printing.
#pragma once
#include <array>
#include <cstdint>

#include "packline/bytes.hpp"
#include "packline/change.hpp"
#include "packline/result.hpp"

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
void sign_envelope(envelope& e, const signing_key& key);
// Checks shapes and the signature.
result<void> verify_envelope(const envelope& e);

bytes sha256(const bytes& b);

}  // namespace packline::crypto
