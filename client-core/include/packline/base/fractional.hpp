// Fractional position keys for ordered lists (the chair's consolidated list):
// a key between any two keys, so moving an item rewrites only that item's
// position field. Keys are strings over [0-9A-Za-z] compared bytewise; they
// never end in '0', so there is always room between two of them.
#pragma once
#include <string>
#include <string_view>

#include "packline/base/result.hpp"

namespace packline {

// A key strictly between `before` and `after`; empty means the list's start
// or end. Fails with invalid_argument unless before < after (or either empty)
// and both are valid keys.
result<std::string> key_between(std::string_view before, std::string_view after);

}  // namespace packline
