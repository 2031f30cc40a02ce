// Child-process control for the server integration tests (see
// server_process.hpp): fork/exec, port discovery from the log, SIGTERM/SIGKILL.
#include "server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef PACKLINE_SERVER_BIN
#define PACKLINE_SERVER_BIN "packline-server"
#endif

namespace packline::test {

std::string slurp_dir(const std::string& dir) {
  std::string all;
  for (auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  return all;
}

temp_dir::temp_dir() {
  auto base = std::filesystem::temp_directory_path() / "packline-test-XXXXXX";
  std::string tmpl = base.string();
  if (char* p = mkdtemp(tmpl.data())) path_ = p;
}

temp_dir::~temp_dir() {
  if (path_.empty() || std::getenv("PACKLINE_KEEP_TEST_DIRS")) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string server_binary() {
  const char* env = std::getenv("PACKLINE_SERVER_BIN");
  return env && *env ? env : PACKLINE_SERVER_BIN;
}

server_process::server_process(std::string data_dir, std::string log_path, std::vector<std::string> extra_args)
    : data_dir_(std::move(data_dir)), log_path_(std::move(log_path)), extra_(std::move(extra_args)) {
  binary_ = server_binary();
}

server_process::~server_process() {
  if (pid_ > 0) kill_hard();
}

std::string server_process::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool server_process::start() {
  if (pid_ > 0) return true;
  std::vector<std::string> args = {binary_, "--host", "127.0.0.1", "--port", "0", "--data", data_dir_,
                                   "--log-level", "debug"};
  args.insert(args.end(), extra_.begin(), extra_.end());
  // A marker in the log separates restarts on the same log file.
  auto before = log().size();

  pid_t pid = fork();
  if (pid < 0) {
    error_ = "fork failed";
    return false;
  }
  if (pid == 0) {
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      ::close(fd);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary_.c_str(), argv.data());
    _exit(127);
  }
  pid_ = pid;

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "server exited during start-up:\n" + log();
      return false;
    }
    std::string text = log().substr(before);
    // The "listening" line, as text (msg="listening" ... port=N) or JSON
    // ("msg":"listening",..."port":N).
    for (auto [msg, key] : {std::pair{"msg=\"listening\"", " port="}, std::pair{"\"msg\":\"listening\"", "\"port\":"}}) {
      auto at = text.find(msg);
      if (at == std::string::npos) continue;
      auto p = text.find(key, at);
      if (p == std::string::npos) continue;
      port_ = static_cast<std::uint16_t>(std::atoi(text.c_str() + p + std::strlen(key)));
      return port_ != 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  error_ = "server did not start listening within 15 s:\n" + log();
  kill_hard();
  return false;
}

void server_process::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int server_process::terminate(int timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill_hard();
  return -1;
}

}  // namespace packline::test
