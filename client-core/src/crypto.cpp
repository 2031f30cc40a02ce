// All cryptography, on libsodium only: device signing keys, envelope
// signatures, hashing and randomness. The only file that includes sodium.h.
#include "packline/crypto.hpp"

#include <sodium.h>

#include <cstring>

#include "packline/codec.hpp"

namespace packline::crypto {

result<void> init() {
  if (sodium_init() < 0) return make_error(errc::crypto, "the crypto library could not start");
  return {};
}

bytes random_bytes(std::size_t n) {
  bytes b(n);
  randombytes_buf(b.data(), n);
  return b;
}

signing_key::~signing_key() { sodium_memzero(sk_.data(), sk_.size()); }
signing_key::signing_key(const signing_key& o) : sk_(o.sk_), pk_(o.pk_) {}
signing_key& signing_key::operator=(const signing_key& o) {
  if (this != &o) { sk_ = o.sk_; pk_ = o.pk_; }
  return *this;
}

result<signing_key> signing_key::from_seed(const bytes& seed32) {
  if (seed32.size() != crypto_sign_SEEDBYTES) return make_error(errc::invalid_argument, "device seed must be 32 bytes");
  signing_key k;
  k.pk_.resize(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_seed_keypair(k.pk_.data(), k.sk_.data(), seed32.data());
  return k;
}

signing_key signing_key::generate() {
  bytes seed = random_bytes(crypto_sign_SEEDBYTES);
  auto k = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return std::move(k).value();
}

bytes signing_key::seed() const {
  bytes s(crypto_sign_SEEDBYTES);
  crypto_sign_ed25519_sk_to_seed(s.data(), sk_.data());
  return s;
}

bytes signing_key::sign(const bytes& msg) const {
  bytes sig(crypto_sign_BYTES);
  crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), sk_.data());
  return sig;
}

bool verify(const bytes& public_key, const bytes& msg, const bytes& signature) {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(signature.data(), msg.data(), msg.size(), public_key.data()) == 0;
}

void sign_envelope(envelope& e, const signing_key& key) {
  e.actor = key.public_key();
  e.signature = key.sign(codec::envelope_signed_bytes(e));
}

result<void> verify_envelope(const envelope& e) {
  if (e.space.size() != 16 || e.actor.size() != 32 || e.signature.size() != 64)
    return make_error(errc::malformed, "envelope header has wrong sizes");
  if (!verify(e.actor, codec::envelope_signed_bytes(e), e.signature))
    return make_error(errc::bad_signature, "the change's signature does not match its device");
  return {};
}

bytes sha256(const bytes& b) {
  bytes h(crypto_hash_sha256_BYTES);
  crypto_hash_sha256(h.data(), b.data(), b.size());
  return h;
}

}  // namespace packline::crypto
