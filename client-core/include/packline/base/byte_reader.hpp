// The one reader of the core's own compact byte layouts (a row's registers,
// a text's encoding): big-endian numbers, LEB128 varints and runs of bytes,
// front to back. A read past the end clears `ok` and gives zero or nothing,
// so a caller checks `ok` once, after reading. put_varint writes a varint.
#pragma once
#include <cstddef>
#include <cstdint>

#include "packline/base/bytes.hpp"

namespace packline {

struct byte_reader {
  const bytes& b;
  std::size_t i = 0;
  bool ok = true;

  bool has(std::size_t n) {
    if (n > b.size() - i) ok = false;
    return ok;
  }
  std::uint64_t be(int n) {
    std::uint64_t v = 0;
    if (has(static_cast<std::size_t>(n)))
      for (int k = 0; k < n; ++k) v = v << 8 | b[i++];
    return v;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= b.size()) {
        ok = false;
        return 0;
      }
      std::uint8_t c = b[i++];
      v |= static_cast<std::uint64_t>(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  bytes take(std::size_t n) {
    if (!has(n)) return {};
    bytes out(b.begin() + static_cast<std::ptrdiff_t>(i), b.begin() + static_cast<std::ptrdiff_t>(i + n));
    i += n;
    return out;
  }
};

inline void put_varint(bytes& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

}  // namespace packline
