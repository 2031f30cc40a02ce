// The demo panel: a fixed space with a few members, one meeting and a small
// sample agenda pack, as signed changes from a deterministic demo clerk key.
#pragma once
#include <vector>

#include "packline/bytes.hpp"
#include "packline/result.hpp"

namespace packline::demo {

bytes space_id();
// The demo space's content as envelopes, seq 1..n by the demo clerk device.
result<std::vector<bytes>> envelopes(std::uint64_t now_ms);

}  // namespace packline::demo
