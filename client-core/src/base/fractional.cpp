// Fractional position keys (see fractional.hpp): base-62 digit strings read
// as fractions 0.d1d2d3...; the midpoint is found digit by digit.
#include "packline/base/fractional.hpp"

namespace packline {
namespace {

constexpr std::string_view digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr int base = 62;

int digit(char c) {
  auto p = digits.find(c);
  return p == std::string_view::npos ? -1 : static_cast<int>(p);
}

bool valid(std::string_view k) {
  for (char c : k)
    if (digit(c) < 0) return false;
  return k.empty() || k.back() != '0';
}

// A key between a and b (a < b; b empty = 1.0), a may be empty (= 0).
std::string midpoint(std::string_view a, std::string_view b) {
  std::string prefix;
  // Skip the common prefix (a padded with '0').
  std::size_t n = 0;
  while (!b.empty() && n < b.size() && (n < a.size() ? a[n] : '0') == b[n]) ++n;
  prefix = std::string(b.substr(0, n));
  a = n < a.size() ? a.substr(n) : std::string_view{};
  b = b.substr(std::min(n, b.size()));
  int da = a.empty() ? 0 : digit(a[0]);
  int db = b.empty() ? base : digit(b[0]);
  // Appending and prepending step by one digit rather than halving, so a list
  // grown at one end gains a character only every ~60 items.
  if (b.empty() && da + 1 < base && !a.empty()) return prefix + digits[static_cast<std::size_t>(da + 1)];
  if (a.empty() && db >= 2 && !b.empty()) return prefix + digits[static_cast<std::size_t>(db - 1)];
  if (db - da > 1) return prefix + digits[static_cast<std::size_t>((da + db) / 2)];
  // Adjacent digits: b's first digit alone works when b is longer than one digit.
  if (b.size() > 1) return prefix + std::string(b.substr(0, 1));
  // Otherwise keep a's first digit and go one level deeper after it.
  return prefix + digits[static_cast<std::size_t>(da)] + midpoint(a.empty() ? a : a.substr(1), {});
}

}  // namespace

result<std::string> key_between(std::string_view before, std::string_view after) {
  if (!valid(before) || !valid(after)) return make_error(errc::invalid_argument, "not a position key");
  if (!before.empty() && !after.empty() && !(before < after))
    return make_error(errc::invalid_argument, "position keys out of order");
  return midpoint(before, after);
}

}  // namespace packline
