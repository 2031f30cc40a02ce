// The native network client: a small blocking WebSocket and HTTP client over
// ws:// and wss:// (http:// and https://), used by the CLI, the benchmarks and
// the server's tests. TLS checks the server's certificate against the system
// CA store or a given CA file, and its host name. Boost.Beast and OpenSSL live
// in ws_client.cpp only (one slow TU); this header is plain. One thread drives
// a client; reads wait with a timeout.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "packline/base/bytes.hpp"
#include "packline/base/result.hpp"

namespace packline::net {

// Where a server is: parsed from ws://, wss://, http:// or https:// URLs.
struct endpoint {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string target = "/sync";  // the path (a bare host or "/" means /sync)
};

// "ws://host:port/path" and the like; IPv6 hosts in brackets. Errors name
// what is wrong in plain words.
result<endpoint> parse_url(std::string_view url);

// How TLS checks the server: against `ca_file` (PEM) when given, else the
// system's CA store.
struct tls_options {
  std::string ca_file;
};

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

  // Opens the endpoint (wss when ep.tls). On failure returns false and fills *err.
  bool connect(const endpoint& ep, const tls_options& tls = {}, std::string* err = nullptr);
  // Opens ws://host:port/target.
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

// One request (Connection: close), bounded by a 10 s timeout; https when
// ep.tls; `headers` are sent as given (e.g. Accept-Encoding, If-None-Match).
http_response http_request(const endpoint& ep, const std::string& method = "GET", const tls_options& tls = {},
                           const std::map<std::string, std::string>& headers = {});
// GET (or `method`) http://host:port/target.
http_response http_get(const std::string& host, std::uint16_t port, const std::string& target,
                       const std::string& method = "GET");

}  // namespace packline::net
