// Sealing of replica images at rest (see at_rest.hpp). Only calls crypto.hpp;
// the header is parsed by hand (fixed layout) so corrupt input never reaches
// the AEAD with a wrong length.
#include "packline/crypto/at_rest.hpp"

namespace packline::at_rest {
namespace {

constexpr std::string_view magic = "PLR1";
constexpr std::string_view magic_v2 = "PLR2";
constexpr std::string_view check_label = "packline-replica-check-v1";
constexpr std::string_view image_label = "packline-replica-image-v2";
// outer: flags u8 | lease_until u64be | seed 32 | space 16 | lease 32
constexpr std::size_t outer_bytes = 1 + 8 + 32 + 16 + 32;
enum : std::uint8_t { f_bound = 1, f_cached = 2, f_registered = 4, f_space = 8 };

std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

bool has_magic(const bytes& b, std::string_view m) {
  return b.size() >= header_bytes && std::equal(m.begin(), m.end(), b.begin());
}

// The header of either version: magic, KDF parameters, salt, key check.
bytes header_of(std::string_view m, const storage_key& k) {
  bytes out;
  append(out, m);
  append_be(out, k.params.ops, 4);
  append_be(out, k.params.mem_kib, 4);
  append(out, k.salt);
  append(out, crypto::keyed_hash(k.key, check_label));
  return out;
}

result<void> check_key(const bytes& sealed, const storage_key& k) {
  crypto::secret check(bytes(sealed.begin() + 28, sealed.begin() + header_bytes));
  if (!(check == crypto::secret(crypto::keyed_hash(k.key, check_label))))
    return make_error(errc::wrong_passphrase, "that passphrase does not unlock the data on this device");
  return {};
}

// The image key: the storage key alone, or with the lease secret.
crypto::secret image_key(const storage_key& k, const crypto::secret* lease) {
  std::string msg(image_label);
  if (lease) msg.append(reinterpret_cast<const char*>(lease->data()), lease->size());
  crypto::secret out(crypto::keyed_hash(k.key, msg, crypto::aead_key_bytes));
  crypto::secret wipe(bytes(msg.begin(), msg.end()));
  return out;
}

}  // namespace

bool is_sealed(const bytes& b) { return has_magic(b, magic) || has_magic(b, magic_v2); }
bool is_v2(const bytes& b) { return has_magic(b, magic_v2); }

result<storage_key> new_key(std::string_view passphrase, crypto::kdf_params p) {
  std::size_t chars = 0;
  for (char c : passphrase) chars += (static_cast<unsigned char>(c) & 0xc0) != 0x80;  // UTF-8: count lead bytes
  if (chars < min_passphrase_chars)
    return make_error(errc::invalid_argument, "a passphrase needs at least " + std::to_string(min_passphrase_chars) +
                                                  " characters: it is all that protects this device's copy if the tablet is lost");
  bytes salt = crypto::random_bytes(crypto::kdf_salt_bytes);
  auto k = crypto::derive_key(passphrase, salt, p);
  if (!k) return k.err();
  return storage_key{std::move(*k), std::move(salt), p};
}

result<storage_key> key_for(const bytes& sealed, std::string_view passphrase) {
  if (!is_sealed(sealed)) return make_error(errc::corrupt_replica, "the stored data is not a sealed Packline replica");
  crypto::kdf_params p{be32(sealed.data() + 4), be32(sealed.data() + 8)};
  bytes salt(sealed.begin() + 12, sealed.begin() + 28);
  auto k = crypto::derive_key(passphrase, salt, p);
  if (!k) {
    if (k.err().code == errc::invalid_argument)
      return make_error(errc::corrupt_replica, "the stored data's header is damaged");
    return k.err();
  }
  return storage_key{std::move(*k), std::move(salt), p};
}

result<bytes> seal_replica(const bytes& image, const storage_key& k) {
  if (k.key.size() != crypto::aead_key_bytes || k.salt.size() != crypto::kdf_salt_bytes)
    return make_error(errc::invalid_argument, "no storage key: unlock or set a passphrase first");
  bytes out = header_of(magic, k);
  auto ct = crypto::aead_seal(k.key, out, image);
  if (!ct) return ct.err();
  append(out, *ct);
  return out;
}

result<bytes> open_replica(const bytes& sealed, const storage_key& k) {
  if (!has_magic(sealed, magic)) return make_error(errc::corrupt_replica, "the stored data is not a sealed Packline replica");
  bytes header(sealed.begin(), sealed.begin() + header_bytes);
  PL_TRY(check_key(sealed, k));  // constant-time (secret::operator==)
  auto image = crypto::aead_open(k.key, header, bytes(sealed.begin() + header_bytes, sealed.end()));
  if (!image)
    return make_error(errc::corrupt_replica,
                      "the data stored on this device was truncated or altered; it was not opened and nothing was overwritten");
  return image;
}

result<bytes> seal_image(const bytes& image, const storage_key& k, const crypto::secret* lease) {
  if (k.key.size() != crypto::aead_key_bytes) return make_error(errc::invalid_argument, "no storage key: unlock or set a passphrase first");
  return crypto::aead_seal(image_key(k, lease), to_bytes(image_label), image);
}

result<bytes> open_image(const bytes& sealed_image, const storage_key& k, const crypto::secret* lease) {
  if (sealed_image.size() < crypto::aead_overhead) return make_error(errc::corrupt_replica, "the stored data was truncated");
  auto image = crypto::aead_open(image_key(k, lease), to_bytes(image_label), sealed_image);
  if (!image)
    return make_error(errc::lease_expired, "this tablet's copy opens only with the key the server keeps for it");
  return image;
}

result<bytes> seal_copy(const copy_outer& o, const bytes& sealed_image, const storage_key& k) {
  if (k.key.size() != crypto::aead_key_bytes || k.salt.size() != crypto::kdf_salt_bytes || o.seed.size() != 32 ||
      (!o.space.empty() && o.space.size() != 16) || (o.lease && o.lease->size() != 32))
    return make_error(errc::invalid_argument, "no storage key or device secret to seal this copy with");
  bytes pt;
  pt.push_back(static_cast<std::uint8_t>((o.bound ? f_bound : 0) | (o.lease ? f_cached : 0) |
                                         (o.registered ? f_registered : 0) | (o.space.empty() ? 0 : f_space)));
  append_be(pt, o.lease_until, 8);
  append(pt, o.seed);
  append(pt, o.space.empty() ? bytes(16, 0) : o.space);
  append(pt, o.lease ? o.lease->expose() : bytes(32, 0));
  bytes out = header_of(magic_v2, k);
  auto ct = crypto::aead_seal(k.key, out, pt);
  crypto::secret wipe(std::move(pt));
  if (!ct) return ct.err();
  append_be(out, ct->size(), 4);
  append(out, *ct);
  append(out, sealed_image);
  return out;
}

result<opened_copy> open_copy(const bytes& sealed, const storage_key& k) {
  if (!has_magic(sealed, magic_v2) || sealed.size() < header_bytes + 4)
    return make_error(errc::corrupt_replica, "the stored data is not a sealed Packline replica");
  PL_TRY(check_key(sealed, k));
  std::size_t n = be32(sealed.data() + header_bytes);
  auto damaged = [] {
    return make_error(errc::corrupt_replica,
                      "the data stored on this device was truncated or altered; it was not opened and nothing was overwritten");
  };
  if (n != outer_bytes + crypto::aead_overhead || sealed.size() < header_bytes + 4 + n) return damaged();
  auto from = sealed.begin() + header_bytes + 4;
  auto pt = crypto::aead_open(k.key, bytes(sealed.begin(), sealed.begin() + header_bytes), bytes(from, from + static_cast<std::ptrdiff_t>(n)));
  if (!pt || pt->size() != outer_bytes) return damaged();
  const std::uint8_t* p = pt->data();
  opened_copy out;
  std::uint8_t flags = p[0];
  out.outer.bound = flags & f_bound;
  out.outer.registered = flags & f_registered;
  out.outer.lease_until = static_cast<std::uint64_t>(be32(p + 1)) << 32 | be32(p + 5);
  out.outer.seed.assign(p + 9, p + 41);
  if (flags & f_space) out.outer.space.assign(p + 41, p + 57);
  if (flags & f_cached) out.outer.lease = crypto::secret(bytes(p + 57, p + 89));
  crypto::secret wipe(std::move(*pt));
  out.image.assign(from + static_cast<std::ptrdiff_t>(n), sealed.end());
  return out;
}

}  // namespace packline::at_rest
