// The demo panel (a fictional Police and Crime Panel) as signed changes from
// a deterministic demo clerk device, so every server started with --demo
// offers the same space and the same rows.
#include "packline/demo.hpp"

#include "packline/crypto.hpp"
#include "packline/replica.hpp"

namespace packline::demo {
namespace {

bytes fixed_id(std::string_view label) {
  bytes h = crypto::sha256(to_bytes(label));
  h.resize(16);
  return h;
}
op set(const char* table, const bytes& row, const char* field, value v) { return set_op(table, row, field, std::move(v)); }

struct demo_member { const char* key; const char* name; const char* role; };
constexpr demo_member members[] = {
    {"chair", "Cllr Alex Morgan", "chair"},
    {"vice", "Cllr Priya Shah", "vice_chair"},
    {"member1", "Cllr Tom Rees", "member"},
    {"member2", "Cllr Jo Bennett", "member"},
    {"independent", "Sam Okafor", "independent_member"},
    {"clerk", "Dana Whitfield", "clerk"},
};

struct demo_item { const char* number; const char* title; const char* pages; const char* description; bool exempt; };
constexpr demo_item items[] = {
    {"1", "Apologies", "", "To receive any apologies for absence.", false},
    {"2", "Minutes", "3 - 8", "To confirm the minutes of the meeting held on 10 September 2026.", false},
    {"3", "Declarations of interest", "", "To receive any declarations of interest.", false},
    {"4", "Public participation", "", "Questions and statements from the public (up to 450 words each).", false},
    {"5", "Police and Crime Plan monitoring report: Quarter 2", "9 - 24",
     "The Commissioner's report on progress against the four priorities of the Police and Crime Plan.", false},
    {"6", "Budget monitoring 2026/27", "25 - 32", "The Chief Finance Officer's forecast outturn for the year.", false},
    {"7", "Complaints against the Commissioner", "33 - 36", "Report of the Monitoring Officer.", false},
    {"8", "Forward plan", "37 - 40", "Items, key lines of enquiry and approach for future meetings.", false},
};

}  // namespace

bytes space_id() { return fixed_id("packline-demo-space-v1"); }

result<std::vector<bytes>> envelopes(std::uint64_t now_ms) {
  auto r = replica::create(crypto::sha256(to_bytes("packline-demo-clerk-device-v1")));
  if (!r) return r.err();
  replica& rep = **r;
  PL_TRY(rep.set_space(space_id()));
  bytes clerk = fixed_id("packline-demo-member-clerk");
  for (const auto& m : members) {
    bytes id = fixed_id(std::string("packline-demo-member-") + m.key);
    auto c = rep.commit({set("member", id, "name", std::string(m.name)), set("member", id, "role", std::string(m.role)),
                         set("member", id, "created_by", clerk), set("member", id, "created_at", static_cast<std::int64_t>(now_ms))},
                        now_ms);
    if (!c) return c.err();
  }
  bytes meeting = fixed_id("packline-demo-meeting-1");
  std::vector<op> ops{
      set("meeting", meeting, "title", std::string("Police and Crime Panel")),
      set("meeting", meeting, "date", std::string("2026-12-10")),
      set("meeting", meeting, "time", std::string("10:00")),
      set("meeting", meeting, "venue", std::string("Council Chamber, County Hall")),
      set("meeting", meeting, "kind", std::string("formal")),
      set("meeting", meeting, "status", std::string("published")),
      set("meeting", meeting, "created_by", clerk),
      set("meeting", meeting, "created_at", static_cast<std::int64_t>(now_ms)),
  };
  std::int64_t pos = 0;
  for (const auto& it : items) {
    bytes id = fixed_id(std::string("packline-demo-item-") + it.number);
    ops.push_back(set("pack_item", id, "meeting", meeting));
    ops.push_back(set("pack_item", id, "position", ++pos));
    ops.push_back(set("pack_item", id, "number", std::string(it.number)));
    ops.push_back(set("pack_item", id, "title", std::string(it.title)));
    ops.push_back(set("pack_item", id, "pages", std::string(it.pages)));
    ops.push_back(set("pack_item", id, "description", std::string(it.description)));
    ops.push_back(set("pack_item", id, "exempt", it.exempt));
  }
  auto c = rep.commit(std::move(ops), now_ms);
  if (!c) return c.err();
  return rep.pending(1000);
}

}  // namespace packline::demo
