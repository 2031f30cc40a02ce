// Runs the HTTP + WebSocket server on one io_context thread until SIGTERM or
// SIGINT. All Beast/Asio code lives in server.cpp (one translation unit: each
// one with Beast costs ~30 s to compile here), behind this small interface.
#pragma once
#include "app.hpp"

namespace packline::server {

// Blocks until a termination signal has been handled and the sessions are
// closed (or the shutdown grace expired). Returns the process exit code.
int serve(app& a);

}  // namespace packline::server
