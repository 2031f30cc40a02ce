// TLS clients for the server's TLS tests: an HTTPS GET and a WSS exchange of
// one frame, both checking the server's certificate against a CA file (the
// self-signed certificate a test made). Beast/OpenSSL live in tls_client.cpp only.
#pragma once
#include <cstdint>
#include <string>

#include "packline/bytes.hpp"
#include "ws_client.hpp"

namespace packline::test {

// status 0: the request failed (body holds the reason).
http_response https_get(std::uint16_t port, const std::string& target, const std::string& ca_file);

// Opens wss://127.0.0.1:port/sync, sends `frame`, returns the first frame
// received (empty with *err set on failure).
bytes wss_exchange(std::uint16_t port, const bytes& frame, const std::string& ca_file, std::string* err);

}  // namespace packline::test
