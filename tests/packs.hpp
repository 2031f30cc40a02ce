// Reads the real agenda packs of ../shared/packs for the workflow tests. A
// missing pack fails the test (REQUIRE), it never skips.
#pragma once
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace packline::test {

inline std::string read_pack(const std::string& name) {
  std::string path = std::string(PACKLINE_PACKS_DIR) + "/" + name;
  std::ifstream f(path, std::ios::binary);
  INFO("pack file: " << path);
  REQUIRE_MESSAGE(f.good(), "the real packs are missing: " << path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  REQUIRE(s.size() > 1000);
  return s;
}

inline const char* december_2020 = "pcp-2020-12-10-agenda-pack.txt";
inline const char* july_2021_report = "pcp-2021-07-07-plan-and-100-days-report.txt";
inline const char* monitoring_2017 = "pcp-monitoring-report-2017-18.txt";

}  // namespace packline::test
