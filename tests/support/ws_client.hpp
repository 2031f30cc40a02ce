// A small blocking WebSocket + HTTP client for the server's integration tests.
// The Beast code lives in ws_client.cpp only (one slow TU); this header is
// plain. One thread drives a client; reads wait with a timeout.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "packline/bytes.hpp"

namespace packline::test {

struct ws_event {
  enum class kind { frame, closed, timeout, error };
  kind k = kind::timeout;
  bytes data;           // frame
  bool binary = true;   // frame
  int close_code = 0;   // closed: the peer's close code (1000 normal, 1001 going away, 1008 policy, 1009 too big)
  std::string message;  // closed/error: reason or error text
};

class ws_client {
 public:
  ws_client();
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  // Opens ws://host:port/target. On failure returns false and fills *err.
  bool connect(const std::string& host, std::uint16_t port, const std::string& target = "/sync",
               std::string* err = nullptr);
  bool is_open() const;
  bool send(const bytes& frame);
  bool send_text(const std::string& text);
  // Waits up to `timeout` for the next frame (a timed-out read stays pending
  // and is picked up by the next call, so no frame is ever lost).
  ws_event receive(std::chrono::milliseconds timeout);
  // Polite close handshake (bounded wait), then the socket is dropped.
  void close();
  // Drops the TCP connection without a close frame (a tablet losing Wi-Fi).
  void drop();

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

struct http_response {
  int status = 0;  // 0: the request failed (see body)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

http_response http_get(const std::string& host, std::uint16_t port, const std::string& target,
                       const std::string& method = "GET");

}  // namespace packline::test
