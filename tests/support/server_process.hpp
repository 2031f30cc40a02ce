// Starts the real packline-server binary for integration tests: a child
// process on 127.0.0.1 with --port 0, stderr captured to a log file whose
// "listening" line tells the port. POSIX only; one test thread uses it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace packline::test {

// A fresh folder under the system temp dir, removed (with everything in it)
// on destruction unless PACKLINE_KEEP_TEST_DIRS is set.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Every byte of every file below `dir`, concatenated (for searching a data
// folder for plaintext).
std::string slurp_dir(const std::string& dir);

// The packline-server binary under test: $PACKLINE_SERVER_BIN, else the one
// this build made.
std::string server_binary();

class server_process {
 public:
  // `binary` defaults to the PACKLINE_SERVER_BIN compile definition (or env).
  server_process(std::string data_dir, std::string log_path, std::vector<std::string> extra_args = {});
  ~server_process();  // SIGKILL if still running

  // Starts and waits (up to 15 s) for the listening line; false with the log
  // tail in error() when the server did not come up.
  bool start();
  std::uint16_t port() const { return port_; }
  bool running() const { return pid_ > 0; }
  // SIGKILL and reap: no chance to flush anything.
  void kill_hard();
  // SIGTERM, wait up to `timeout_ms`; returns the exit status (-1 on timeout
  // or a signal death; the process is then killed).
  int terminate(int timeout_ms = 10000);
  std::string log() const;
  const std::string& error() const { return error_; }

 private:
  std::string binary_;
  std::string data_dir_;
  std::string log_path_;
  std::vector<std::string> extra_;
  int pid_ = -1;
  std::uint16_t port_ = 0;
  std::string error_;
};

}  // namespace packline::test
