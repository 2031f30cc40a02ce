// Small shared pieces: error messages and hex.
#include "packline/base/bytes.hpp"
#include "packline/base/result.hpp"

namespace packline {

const char* errc_message(errc e) noexcept {
  switch (e) {
#define PACKLINE_ERRC_CASE(name, number, message) \
  case errc::name: return message;
    PACKLINE_ERRORS(PACKLINE_ERRC_CASE)
#undef PACKLINE_ERRC_CASE
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


}  // namespace packline
