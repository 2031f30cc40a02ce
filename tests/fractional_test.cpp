// Fractional position keys: always strictly between, short for common moves.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "packline/base/fractional.hpp"

using namespace packline;

TEST_CASE("fractional: keys fall strictly between their neighbours") {
  auto k = key_between("", "");
  REQUIRE(k.ok());
  std::vector<std::string> list{*k};
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    std::size_t at = rng() % (list.size() + 1);
    std::string lo = at ? list[at - 1] : "", hi = at < list.size() ? list[at] : "";
    auto m = key_between(lo, hi);
    REQUIRE(m.ok());
    if (!lo.empty()) REQUIRE(lo < *m);
    if (!hi.empty()) REQUIRE(*m < hi);
    REQUIRE(m->back() != '0');
    list.insert(list.begin() + static_cast<std::ptrdiff_t>(at), *m);
  }
  CHECK(std::is_sorted(list.begin(), list.end()));
  CHECK(std::adjacent_find(list.begin(), list.end()) == list.end());
}

TEST_CASE("fractional: appending and prepending stay short") {
  std::string last;
  for (int i = 0; i < 500; ++i) last = *key_between(last, "");
  CHECK(last.size() <= 20);  // about one character per 30 appends
  std::string first = "V";
  for (int i = 0; i < 500; ++i) first = *key_between("", first);
  CHECK(first.size() <= 20);
}

TEST_CASE("fractional: invalid or out-of-order keys are refused") {
  CHECK(key_between("b", "a").err().code == errc::invalid_argument);
  CHECK(key_between("a", "a").err().code == errc::invalid_argument);
  CHECK(key_between("a0", "").err().code == errc::invalid_argument);
  CHECK(key_between("a-", "").err().code == errc::invalid_argument);
}
