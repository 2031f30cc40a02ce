// Deflate for compact encodings (long texts). The only user of zlib.
#pragma once
#include "packline/base/bytes.hpp"
#include "packline/base/result.hpp"

namespace packline::compress {

bytes deflate(const bytes& raw);
// Refuses output beyond `max_out` bytes (a small input must not expand into
// gigabytes) and damaged input, with errc::malformed.
result<bytes> inflate(const std::uint8_t* data, std::size_t size, std::size_t max_out);

}  // namespace packline::compress
