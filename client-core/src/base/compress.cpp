// Deflate and bounded inflate over zlib (zlib streams, checksummed).
#include "packline/base/compress.hpp"

#include <zlib.h>

namespace packline::compress {

bytes deflate(const bytes& raw) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY);  // zlib format: adler32 catches damage
  bytes out(deflateBound(&z, static_cast<uLong>(raw.size())));
  z.next_in = const_cast<Bytef*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  ::deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

result<bytes> inflate(const std::uint8_t* data, std::size_t size, std::size_t max_out) {
  z_stream z{};
  if (inflateInit2(&z, 15) != Z_OK) return make_error(errc::malformed, "could not start decompression");
  bytes out;
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (out.size() >= max_out) break;
    std::size_t have = out.size();
    out.resize(std::min(max_out, have + std::max<std::size_t>(4096, size * 2)));
    z.next_out = out.data() + have;
    z.avail_out = static_cast<uInt>(out.size() - have);
    rc = ::inflate(&z, Z_NO_FLUSH);
    out.resize(have + (out.size() - have - z.avail_out));
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return make_error(errc::malformed, "compressed data is damaged or too large");
  return out;
}

}  // namespace packline::compress
