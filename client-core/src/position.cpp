// Fractional keys over base-62 digits ('0'-'9', 'A'-'Z', 'a'-'z', which sort
// in ASCII order). A key never ends in '0', so there is always room below it.
#include "packline/position.hpp"

namespace packline::position {
namespace {

constexpr const char* digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr int base = 62;

int value_of(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c >= 'a' && c <= 'z') return c - 'a' + 36;
  return 0;
}

}  // namespace

std::string between(const std::string& a, const std::string& b) {
  std::string out;
  bool upper_open = b.empty();  // once a digit is below b's, later digits are free
  for (std::size_t i = 0;; ++i) {
    int lo = i < a.size() ? value_of(a[i]) : 0;
    int hi = upper_open ? base : (i < b.size() ? value_of(b[i]) : 0);
    if (hi - lo > 1) {
      out += digits[(lo + hi) / 2];
      return out;
    }
    out += digits[lo];
    if (lo < hi) upper_open = true;
    if (i > a.size() + b.size() + 64) return out + digits[base / 2];  // malformed bounds: stay total
  }
}

}  // namespace packline::position
