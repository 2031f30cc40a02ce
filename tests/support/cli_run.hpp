// Runs the native CLI as a child process for the CLI and end-to-end tests:
// arguments shell-quoted, stdout captured, stderr through a file.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace packline::test {

struct run_result {
  int code = -1;
  std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// `env` is prepended as is (e.g. "PACKLINE_PASSPHRASE='x' "); code -1 when the
// command could not start.
inline run_result run_cli(const std::string& bin, const std::string& data_dir, const std::vector<std::string>& args,
                          const std::string& err_file, const std::string& env = {}) {
  std::string cmd = env + shell_quote(bin) + " --data " + shell_quote(data_dir);
  for (auto& a : args) cmd += " " + shell_quote(a);
  cmd += " 2>" + shell_quote(err_file);
  run_result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream e(err_file);
  std::stringstream ss;
  ss << e.rdbuf();
  r.err = ss.str();
  return r;
}

}  // namespace packline::test
