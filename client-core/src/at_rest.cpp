// Sealing of replica images at rest (see at_rest.hpp). Only calls crypto.hpp;
// the header is parsed by hand (fixed layout) so corrupt input never reaches
// the AEAD with a wrong length.
#include "packline/at_rest.hpp"

namespace packline::at_rest {
namespace {

constexpr std::string_view magic = "PLR1";
constexpr std::string_view check_label = "packline-replica-check-v1";

std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

}  // namespace

bool is_sealed(const bytes& b) { return b.size() >= header_bytes && std::equal(magic.begin(), magic.end(), b.begin()); }

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
  bytes out;
  out.reserve(header_bytes + image.size() + crypto::aead_overhead);
  append(out, magic);
  append_be(out, k.params.ops, 4);
  append_be(out, k.params.mem_kib, 4);
  append(out, k.salt);
  append(out, crypto::keyed_hash(k.key, check_label));
  auto ct = crypto::aead_seal(k.key, out, image);
  if (!ct) return ct.err();
  append(out, *ct);
  return out;
}

result<bytes> open_replica(const bytes& sealed, const storage_key& k) {
  if (!is_sealed(sealed)) return make_error(errc::corrupt_replica, "the stored data is not a sealed Packline replica");
  bytes header(sealed.begin(), sealed.begin() + header_bytes);
  // Constant-time comparison (secret::operator==).
  crypto::secret check(bytes(header.begin() + 28, header.end()));
  if (!(check == crypto::secret(crypto::keyed_hash(k.key, check_label))))
    return make_error(errc::wrong_passphrase, "that passphrase does not unlock the data on this device");
  auto image = crypto::aead_open(k.key, header, bytes(sealed.begin() + header_bytes, sealed.end()));
  if (!image)
    return make_error(errc::corrupt_replica,
                      "the data stored on this device was truncated or altered; it was not opened and nothing was overwritten");
  return image;
}

}  // namespace packline::at_rest
