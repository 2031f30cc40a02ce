// Reads the real agenda packs of ../shared/packs for the workflow tests. The
// packs sit beside the repository in CI; a clone alone has none, so every
// test that reads them is a PACKS_TEST_CASE: run when they are there, and
// reported as skipped, by name, when they are not (the corpus of
// tests/corpus/packs covers the same ground).
#pragma once
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace packline::test {

inline const char* december_2020 = "pcp-2020-12-10-agenda-pack.txt";
inline const char* july_2021_report = "pcp-2021-07-07-plan-and-100-days-report.txt";
inline const char* monitoring_2017 = "pcp-monitoring-report-2017-18.txt";

// ../shared/packs, or PACKLINE_PACKS when set (as for the browser tests).
inline std::string packs_dir() {
  const char* env = std::getenv("PACKLINE_PACKS");
  return env && *env ? env : PACKLINE_PACKS_DIR;
}

inline bool have_packs() {
  std::error_code ec;
  return std::filesystem::exists(packs_dir() + "/" + december_2020, ec);
}

// True (skip) when the packs are absent, saying which test is skipped.
inline bool skip_without_packs(const char* name) {
  if (have_packs()) return false;
  std::fprintf(stderr, "skipped (the real packs are not at %s): %s\n", packs_dir().c_str(), name);
  return true;
}

inline std::string read_pack(const std::string& name) {
  std::string path = packs_dir() + "/" + name;
  std::ifstream f(path, std::ios::binary);
  INFO("pack file: " << path);
  REQUIRE_MESSAGE(f.good(), "the real packs are missing: " << path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  REQUIRE(s.size() > 1000);
  return s;
}

}  // namespace packline::test

// A test case that reads ../shared/packs: skipped, by name, without them.
#define PACKS_TEST_CASE(name) TEST_CASE(name * doctest::skip(::packline::test::skip_without_packs(name)))
