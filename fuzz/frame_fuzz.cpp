// libFuzzer harness: protocol frames (codec::decode) and their re-encoding.
#include <cstdlib>

#include "oracle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (!packline::fuzz::check_frame(data, size)) std::abort();
  return 0;
}
