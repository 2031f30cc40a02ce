// Reading what a sync_handler answered, for the handler-level server tests.
#pragma once
#include <doctest/doctest.h>

#include <variant>

#include "packline/wire/codec.hpp"
#include "sync_handler.hpp"

namespace packline::test {

// The frame decoded as message T (fails the test otherwise).
template <class T>
T as(const bytes& frame) {
  auto m = codec::decode(frame);
  REQUIRE(m.ok());
  REQUIRE_MESSAGE(std::holds_alternative<T>(*m), "message type ", m->index() + 1);
  return std::get<T>(*m);
}

// The code of the one error frame of a reply.
inline std::uint32_t error_of(const server::reply& r) {
  REQUIRE(r.frames.size() == 1);
  return as<proto::error>(r.frames[0]).code;
}

}  // namespace packline::test
