// libFuzzer harness: envelopes (codec::decode_envelope), their re-encoding,
// and the change body inside (codec::decode_body).
#include <cstdlib>

#include "oracle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (!packline::fuzz::check_envelope(data, size)) std::abort();
  return 0;
}
