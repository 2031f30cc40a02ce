// The demo panel: a fixed space whose clerk imports a small fictional sample
// agenda pack (meeting, items, papers, members from its front sheet), as
// signed changes from a deterministic demo clerk key.
#pragma once
#include <string_view>
#include <vector>

#include "packline/base/bytes.hpp"
#include "packline/base/result.hpp"

namespace packline::demo {

bytes space_id();
// The fictional sample agenda pack the demo panel is imported from
// (client-core/demo/sample-pack.txt, embedded at build time).
std::string_view sample_pack();
// The demo space's content as envelopes, seq 1..n by the demo clerk device.
result<std::vector<bytes>> envelopes(std::uint64_t now_ms);

}  // namespace packline::demo
