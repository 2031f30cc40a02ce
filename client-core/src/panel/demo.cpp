// The demo panel (a fictional Police and Crime Panel): the demo clerk imports
// the sample pack text shipped in client-core/demo/, so the demo shows what an
// import recovers (meeting, items, papers, front-sheet members, priorities,
// forward plan). Signed by a deterministic demo clerk device, and every row id
// is derived from the pack, so every server started with --demo offers the
// same space and the same rows.
#include "packline/panel/demo.hpp"

#include "packline/crypto/crypto.hpp"
#include "packline/replica/replica.hpp"
#include "packline/panel/workflow.hpp"
#include "sample_pack.hpp"

namespace packline::demo {
namespace {

bytes fixed_id(std::string_view label) {
  bytes h = crypto::sha256(to_bytes(label));
  h.resize(16);
  return h;
}

}  // namespace

bytes space_id() { return fixed_id("packline-demo-space-v1"); }

std::string_view sample_pack() { return demo_sample_pack[0]; }

result<std::vector<bytes>> envelopes(std::uint64_t now_ms) {
  auto r = replica::create(crypto::sha256(to_bytes("packline-demo-clerk-device-v1")));
  if (!r) return r.err();
  replica& rep = **r;
  PL_TRY(rep.set_space(space_id()));
  // The clerk who publishes the pack is not on its front sheet: the one
  // hand-made row, with a fixed id.
  bytes clerk = fixed_id("packline-demo-member-clerk");
  auto c = rep.commit({set_op("member", clerk, "name", std::string("Dana Whitfield")),
                       set_op("member", clerk, "role", std::string("clerk")), set_op("member", clerk, "created_by", clerk),
                       set_op("member", clerk, "created_at", static_cast<std::int64_t>(now_ms))},
                      now_ms);
  if (!c) return c.err();
  PL_TRY(workflow::sign_in(rep, to_hex(clerk)));
  auto p = pack::parse_text(sample_pack());
  if (!p) return p.err();
  workflow::import_options o;
  o.source = "sample-pack.txt";
  o.add_members = o.add_priorities = true;  // the demo's clerk confirms the front sheet and the plan
  auto imported = workflow::import_pack(rep, *p, o, now_ms);
  if (!imported) return imported.err();
  return rep.pending(1000);
}

}  // namespace packline::demo
