// Fractional position keys for ordered lists (the consolidated list): a key
// strictly between two others always exists, so concurrent moves never need
// to renumber siblings. Keys compare as plain byte strings. Pure functions.
#pragma once
#include <string>

namespace packline::position {

// A key after `a` and before `b` ("" means no bound on that side).
// Precondition: a < b when both are given.
std::string between(const std::string& a, const std::string& b);

}  // namespace packline::position
