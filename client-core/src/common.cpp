// Small shared pieces: error messages, hex, the auth transcript.
#include "packline/bytes.hpp"
#include "packline/protocol.hpp"
#include "packline/result.hpp"

namespace packline {

const char* errc_message(errc e) noexcept {
  switch (e) {
    case errc::ok: return "ok";
    case errc::malformed: return "the data is not in the expected format";
    case errc::too_large: return "the data is larger than allowed";
    case errc::bad_state: return "that step is not allowed now";
    case errc::auth_failed: return "this device could not prove its identity";
    case errc::bad_signature: return "a change's signature does not match its device";
    case errc::wrong_space: return "a change belongs to another panel";
    case errc::not_actor: return "a device sent a change signed by another device";
    case errc::unsupported_version: return "the other side speaks a different protocol version";
    case errc::storage: return "the change could not be stored; it will be retried";
    case errc::not_found: return "not found";
    case errc::invalid_argument: return "a value given is not usable";
    case errc::clock_skew: return "a change is dated too far in the future";
    case errc::corrupt_replica: return "the stored data on this device is damaged";
    case errc::crypto: return "a cryptographic operation failed";
    case errc::wrong_passphrase: return "the passphrase is not the one this device's data was locked with";
    case errc::not_member: return "this device is not a member of the panel";
    case errc::revoked: return "this device has been removed from the panel";
    case errc::lease_expired: return "this device has been offline longer than the panel allows; connect to the server to open it again";
    case errc::no_key: return "this device does not hold the key for that part of the panel's data";
    case errc::forbidden: return "a change breaks the panel's rules";
    case errc::damaged: return "the server's copy of this panel is damaged; its operator must restore it from a backup";
    case errc::superseded: return "a change was sealed under a key the panel has replaced; it is re-sealed and sent again";
  }
  return "unknown error";
}

std::string to_hex(const std::uint8_t* p, std::size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) { s[2 * i] = d[p[i] >> 4]; s[2 * i + 1] = d[p[i] & 15]; }
  return s;
}

bytes from_hex(std::string_view hex) {
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2) return {};
  bytes b(hex.size() / 2);
  for (std::size_t i = 0; i < b.size(); ++i) {
    int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return {};
    b[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return b;
}

namespace proto {
bytes auth_transcript(const bytes& nonce, const bytes& space) {
  bytes t;
  append(t, std::string_view("packline-auth-v1"));
  append(t, nonce);
  append(t, space);
  return t;
}
}  // namespace proto

}  // namespace packline
