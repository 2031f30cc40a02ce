// Byte strings and fixed-size ids shared by every module. Plain values only.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace packline {

using bytes = std::vector<std::uint8_t>;

std::string to_hex(const std::uint8_t* p, std::size_t n);
inline std::string to_hex(const bytes& b) { return to_hex(b.data(), b.size()); }
// Empty result on odd length or a non-hex digit.
bytes from_hex(std::string_view hex);

inline bytes to_bytes(std::string_view s) { return bytes(s.begin(), s.end()); }

inline void append(bytes& out, const bytes& b) { out.insert(out.end(), b.begin(), b.end()); }
inline void append(bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }
// Big-endian in place, `width` bytes at p (the caller has checked the room);
// store_be returns the byte after them.
inline std::uint8_t* store_be(std::uint8_t* p, std::uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) *p++ = static_cast<std::uint8_t>(v >> (8 * i));
  return p;
}
inline void append_be(bytes& out, std::uint64_t v, int width) {
  out.resize(out.size() + static_cast<std::size_t>(width));
  store_be(out.data() + out.size() - width, v, width);
}
inline std::uint64_t load_be(const std::uint8_t* p, int width) {
  std::uint64_t v = 0;
  for (int i = 0; i < width; ++i) v = v << 8 | p[i];
  return v;
}

}  // namespace packline
