// All cryptography, on libsodium only: device signing and box keys, envelope
// signatures and sealing, secrets, Argon2id, hashing and randomness. The only
// file that includes sodium.h. Stateless apart from libsodium's own init.
#include "packline/crypto/crypto.hpp"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#ifndef __EMSCRIPTEN__
#include <thread>
#endif

#include "packline/wire/codec.hpp"

namespace packline::crypto {

result<void> init() {
  if (sodium_init() < 0) return make_error(errc::crypto, "the crypto library could not start");
  return {};
}

#ifdef __EMSCRIPTEN__
// Under Emscripten libsodium asks JavaScript for every 4 bytes of
// randomness (about 0.17 ms per 24-byte nonce in V8: bench/run crypto), which
// alone cost sealing ~30% of the sync path. So WASM builds draw 32 bytes from
// the platform once and then run a fast-key-erasure ChaCha20 generator: each
// call takes 32 + n keystream bytes, the first 32 replace the key (earlier
// outputs cannot be recomputed from the state). Single-threaded, like the
// WASM core; no fork in a browser.
namespace {
struct drbg {
  std::array<std::uint8_t, crypto_stream_chacha20_ietf_KEYBYTES> key{};
  std::uint64_t counter = 0;
  bool seeded = false;
};
drbg& generator() {
  static drbg g;
  return g;
}
}  // namespace

bytes random_bytes(std::size_t n) {
  drbg& g = generator();
  if (!g.seeded) {
    randombytes_buf(g.key.data(), g.key.size());
    g.seeded = true;
  }
  std::array<std::uint8_t, crypto_stream_chacha20_ietf_NONCEBYTES> nonce{};
  std::uint64_t c = ++g.counter;
  for (int i = 0; i < 8; ++i) nonce[i] = static_cast<std::uint8_t>(c >> (8 * i));
  bytes stream(g.key.size() + n);
  crypto_stream_chacha20_ietf(stream.data(), stream.size(), nonce.data(), g.key.data());
  std::memcpy(g.key.data(), stream.data(), g.key.size());
  bytes out(stream.begin() + g.key.size(), stream.end());
  sodium_memzero(stream.data(), stream.size());
  return out;
}
#else
bytes random_bytes(std::size_t n) {
  bytes b(n);
  randombytes_buf(b.data(), n);
  return b;
}
#endif

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

namespace {
// What a device signs: `tag` ‖ BLAKE2b-256(head ‖ body), the body hashed in
// place (no copy of a large payload).
bytes tagged_digest(std::string_view tag, const bytes& head, const bytes& body) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  crypto_generichash_update(&st, head.data(), head.size());
  crypto_generichash_update(&st, body.data(), body.size());
  bytes out(tag.begin(), tag.end());
  out.resize(tag.size() + 32);
  crypto_generichash_final(&st, out.data() + tag.size(), 32);
  return out;
}
}  // namespace

bytes envelope_to_sign(const envelope& e) {
  return tagged_digest("packline-sig-v2", codec::envelope_signed_header(e), e.payload);
}

void sign_envelope(envelope& e, const signing_key& key) {
  e.actor = key.public_key();
  e.signature = key.sign(envelope_to_sign(e));
}

result<void> verify_envelope(const envelope& e) {
  if (e.space.size() != 16 || e.actor.size() != 32 || e.signature.size() != 64)
    return make_error(errc::malformed, "envelope header has wrong sizes");
  if (!verify(e.actor, envelope_to_sign(e), e.signature))
    return make_error(errc::bad_signature, "the change's signature does not match its device");
  return {};
}

// Each envelope's answer: 0 not yet, 1 signed, 2 not. `next` hands out
// envelopes to check in order, so the helpers stay ahead of the caller.
struct envelope_checks::state {
  std::vector<const envelope*> es;
  std::unique_ptr<std::atomic<std::uint8_t>[]> answer;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
#ifndef __EMSCRIPTEN__
  std::vector<std::thread> helpers;
#endif
  // Checks the next unchecked envelope; false when none is left.
  bool check_next() {
    std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
    if (i >= es.size()) return false;
    answer[i].store(verify_envelope(*es[i]).ok() ? 1 : 2, std::memory_order_release);
    answer[i].notify_all();
    return true;
  }
};

envelope_checks::envelope_checks(std::vector<const envelope*> es) : s_(std::make_unique<state>()) {
  s_->es = std::move(es);
  s_->answer = std::make_unique<std::atomic<std::uint8_t>[]>(s_->es.size());
#ifndef __EMSCRIPTEN__
  // Threads only pay for themselves on a page of changes.
  std::size_t n = s_->es.size() < 16 ? 0 : std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, 8) - 1;
  for (std::size_t t = 0; t < n; ++t)
    s_->helpers.emplace_back([st = s_.get()] {
      while (!st->stop.load(std::memory_order_relaxed) && st->check_next()) {
      }
    });
#endif
}

envelope_checks::~envelope_checks() {
  s_->stop = true;
#ifndef __EMSCRIPTEN__
  for (auto& h : s_->helpers) h.join();
#endif
}

bool envelope_checks::ok(std::size_t i) {
  if (i >= s_->es.size()) return false;
  auto& a = s_->answer[i];
  while (a.load(std::memory_order_acquire) == 0)
    if (!s_->check_next()) a.wait(0, std::memory_order_acquire);  // a helper is checking it
  return a.load(std::memory_order_acquire) == 1;
}

bytes sha256(const bytes& b) {
  bytes h(crypto_hash_sha256_BYTES);
  crypto_hash_sha256(h.data(), b.data(), b.size());
  return h;
}

// ---- secrets ---------------------------------------------------------------

secret::~secret() {
  if (!b_.empty()) sodium_memzero(b_.data(), b_.size());
}
secret& secret::operator=(const secret& o) {
  if (this != &o) {
    if (!b_.empty()) sodium_memzero(b_.data(), b_.size());
    b_ = o.b_;
  }
  return *this;
}
secret& secret::operator=(secret&& o) noexcept {
  if (this != &o) {
    if (!b_.empty()) sodium_memzero(b_.data(), b_.size());
    b_ = std::move(o.b_);
    o.b_.clear();
  }
  return *this;
}
secret secret::random(std::size_t n) { return secret(random_bytes(n)); }
bool secret::operator==(const secret& o) const {
  return b_.size() == o.b_.size() && (b_.empty() || sodium_memcmp(b_.data(), o.b_.data(), b_.size()) == 0);
}

// ---- X25519 and sealed boxes -----------------------------------------------

box_key::~box_key() { sodium_memzero(sk_.data(), sk_.size()); }
box_key::box_key(const box_key& o) : sk_(o.sk_), pk_(o.pk_) {}
box_key& box_key::operator=(const box_key& o) {
  if (this != &o) { sk_ = o.sk_; pk_ = o.pk_; }
  return *this;
}

result<box_key> box_key::derive(const bytes& seed32) {
  static_assert(crypto_kdf_KEYBYTES == 32 && crypto_box_SEEDBYTES == 32);
  if (seed32.size() != crypto_kdf_KEYBYTES) return make_error(errc::invalid_argument, "a key seed must be 32 bytes");
  std::array<std::uint8_t, crypto_box_SEEDBYTES> sub{};
  // Subkey 1 of context "plx25519": independent of the Ed25519 key made from
  // the same seed, so one key's compromise by misuse does not give the other.
  if (crypto_kdf_derive_from_key(sub.data(), sub.size(), 1, "plx25519", seed32.data()) != 0)
    return make_error(errc::crypto, "could not derive the device's X25519 key");
  box_key k;
  k.pk_.resize(crypto_box_PUBLICKEYBYTES);
  crypto_box_seed_keypair(k.pk_.data(), k.sk_.data(), sub.data());
  sodium_memzero(sub.data(), sub.size());
  return k;
}

result<secret> box_key::open(const bytes& sealed) const {
  if (pk_.empty() || sealed.size() < crypto_box_SEALBYTES) return make_error(errc::crypto, "a sealed key is too short");
  bytes out(sealed.size() - crypto_box_SEALBYTES);
  if (crypto_box_seal_open(out.data(), sealed.data(), sealed.size(), pk_.data(), sk_.data()) != 0) {
    sodium_memzero(out.data(), out.size());
    return make_error(errc::crypto, "a sealed key is not for this device or was altered");
  }
  return secret(std::move(out));
}

result<bytes> seal_to(const bytes& pk, const secret& s) {
  if (pk.size() != crypto_box_PUBLICKEYBYTES) return make_error(errc::invalid_argument, "an X25519 public key is 32 bytes");
  bytes out(s.size() + crypto_box_SEALBYTES);
  if (crypto_box_seal(out.data(), s.data(), s.size(), pk.data()) != 0)
    return make_error(errc::crypto, "could not seal a key to a device");
  return out;
}

// ---- AEAD ------------------------------------------------------------------

static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == aead_key_bytes);
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES == aead_overhead);

result<bytes> aead_seal(const secret& key, const bytes& ad, const bytes& pt, const bytes& nonce24) {
  constexpr std::size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (key.size() != aead_key_bytes) return make_error(errc::invalid_argument, "an encryption key is 32 bytes");
  if (!nonce24.empty() && nonce24.size() != nb) return make_error(errc::invalid_argument, "a nonce is 24 bytes");
  bytes out(nb + pt.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  if (nonce24.empty()) {
    bytes n = random_bytes(nb);  // see random_bytes: fast in WASM too
    std::memcpy(out.data(), n.data(), nb);
  } else {
    std::memcpy(out.data(), nonce24.data(), nb);
  }
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + nb, &n, pt.data(), pt.size(), ad.data(), ad.size(), nullptr,
                                             out.data(), key.data());
  out.resize(nb + static_cast<std::size_t>(n));
  return out;
}

result<bytes> aead_open(const secret& key, const bytes& ad, const bytes& sealed) {
  constexpr std::size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (key.size() != aead_key_bytes) return make_error(errc::invalid_argument, "an encryption key is 32 bytes");
  if (sealed.size() < aead_overhead) return make_error(errc::crypto, "the sealed data is truncated");
  bytes out(sealed.size() - aead_overhead);
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &n, nullptr, sealed.data() + nb, sealed.size() - nb, ad.data(),
                                                 ad.size(), sealed.data(), key.data()) != 0)
    return make_error(errc::crypto, "the sealed data does not open with this key (wrong key, or altered)");
  out.resize(static_cast<std::size_t>(n));
  return out;
}

result<void> seal_envelope(envelope& e, const bytes& body, const secret& space_key, const signing_key& key,
                           const bytes& nonce24) {
  e.actor = key.public_key();
  auto ct = aead_seal(space_key, codec::envelope_signed_header(e), body, nonce24);
  if (!ct) return ct.err();
  e.payload = std::move(*ct);
  e.signature = key.sign(envelope_to_sign(e));
  return {};
}

namespace {
bytes snapshot_to_sign(const snapshot_blob& b) {
  return tagged_digest("packline-snap-sig-v1", codec::snapshot_blob_header(b), b.body);
}
}  // namespace

result<void> seal_snapshot(snapshot_blob& b, const bytes& image, const secret* space_key, const signing_key& key,
                           const bytes& nonce24) {
  b.device = key.public_key();
  if (space_key) {
    auto ct = aead_seal(*space_key, codec::snapshot_blob_header(b), image, nonce24);
    if (!ct) return ct.err();
    b.body = std::move(*ct);
  } else {
    b.body = image;
  }
  b.signature = key.sign(snapshot_to_sign(b));
  return {};
}

result<void> verify_snapshot(const snapshot_blob& b) {
  if (b.space.size() != 16 || b.device.size() != 32 || b.signature.size() != 64)
    return make_error(errc::malformed, "the snapshot's header has wrong sizes");
  if (!verify(b.device, snapshot_to_sign(b), b.signature))
    return make_error(errc::bad_signature, "the snapshot is damaged or forged: its signature does not match the device it names");
  return {};
}

result<bytes> open_snapshot(const snapshot_blob& b, const secret& space_key) {
  auto pt = aead_open(space_key, codec::snapshot_blob_header(b), b.body);
  if (!pt) return make_error(errc::crypto, "the snapshot does not open with the key of its epoch");
  return pt;
}

result<bytes> open_envelope(const envelope& e, const secret& space_key) {
  auto pt = aead_open(space_key, codec::envelope_signed_header(e), e.payload);
  if (!pt) return make_error(errc::crypto, "the change does not open with the key of its epoch");
  return pt;
}

// ---- Argon2id and keyed hashes ---------------------------------------------

result<secret> derive_key(std::string_view passphrase, const bytes& salt16, kdf_params p) {
  static_assert(crypto_pwhash_SALTBYTES == kdf_salt_bytes);
  if (salt16.size() != crypto_pwhash_SALTBYTES) return make_error(errc::invalid_argument, "a key salt is 16 bytes");
  if (p.ops < crypto_pwhash_OPSLIMIT_MIN || p.ops > 16 || p.mem_kib < 8 || p.mem_kib > 1024 * 1024)
    return make_error(errc::invalid_argument, "key derivation parameters out of range");
  bytes k(aead_key_bytes);
  if (crypto_pwhash(k.data(), k.size(), passphrase.data(), passphrase.size(), salt16.data(), p.ops,
                    static_cast<std::size_t>(p.mem_kib) * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return make_error(errc::crypto, "not enough memory to derive the key from the passphrase");
  return secret(std::move(k));
}

bytes keyed_hash(const secret& key, std::string_view msg, std::size_t out) {
  out = std::clamp<std::size_t>(out, crypto_generichash_BYTES_MIN, crypto_generichash_BYTES_MAX);
  bytes h(out);
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), key.data(),
                     std::min<std::size_t>(key.size(), crypto_generichash_KEYBYTES_MAX));
  return h;
}

bytes digest(const std::uint8_t* data, std::size_t size, std::size_t out) {
  out = std::clamp<std::size_t>(out, crypto_generichash_BYTES_MIN, crypto_generichash_BYTES_MAX);
  bytes h(out);
  crypto_generichash(h.data(), h.size(), data, size, nullptr, 0);
  return h;
}

}  // namespace packline::crypto
