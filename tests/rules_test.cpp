// The panel's role rules as one table: every table (record kind) x role x
// create/update, plus the writes that forge who made a row. The workflow (on
// commit) and every replica (on apply) call the same rules::check.
#include <doctest/doctest.h>

#include <array>
#include <string>

#include "packline/rules/rules.hpp"

using namespace packline;
using rules::role;

namespace {

constexpr std::array<role, 6> roles = {role::chair, role::vice_chair, role::member, role::independent_member, role::clerk,
                                       role::officer};

// One kind of write, and per role (in `roles` order) Y if it is allowed.
struct write_case {
  const char* table;
  const char* field;
  bool create;    // the row does not exist before the change
  const char* allowed;
};

// Create: a new row of the writer's own (its author field names the writer).
// Update: an existing row made by another member.
constexpr write_case matrix[] = {
    {"meeting", "title", true, "NNNNYN"},           {"meeting", "title", false, "NNNNYN"},
    {"pack", "title", true, "NNNNYN"},              {"pack", "title", false, "NNNNYN"},
    {"pack_item", "title", true, "NNNNYN"},         {"pack_item", "title", false, "NNNNYN"},
    {"pack_item", "placed", false, "NNNNYN"},       {"pack_item", "exempt", false, "NNNNYN"},
    {"agenda_correction", "value", true, "NNNNYN"}, {"agenda_correction", "value", false, "NNNNYN"},
    {"block", "text", true, "NNNNYN"},              {"block", "text", false, "NNNNYN"},
    {"response", "body", true, "NNNNYN"},           {"response", "body", false, "NNNNYN"},
    {"action", "text", true, "NNNNYN"},             {"action", "text", false, "NNNNYN"},
    {"public_submission", "body", true, "NNNNYN"},  {"public_submission", "body", false, "NNNNYN"},
    {"member", "name", true, "YYNNYN"},             {"member", "name", false, "YYNNYN"},
    {"question", "body", true, "YYYYNN"},           {"question", "body", false, "NNNNNN"},
    {"annotation", "body", true, "YYYYYY"},         {"annotation", "body", false, "NNNNNN"},
    {"consolidated_question", "body", true, "YYNNNN"}, {"consolidated_question", "body", false, "YYNNNN"},
    {"priority", "title", true, "YYNNYN"},          {"priority", "title", false, "YYNNYN"},
    {"group_key", "wraps", true, "YYNNYN"},         {"group_key", "wraps", false, "YYNNYN"},
    {"panel_setting", "value", true, "YYNNYN"},     {"panel_setting", "value", false, "YYNNYN"},
    {"forward_plan", "topic", true, "YYNNYN"},      {"forward_plan", "topic", false, "YYNNYN"},
    {"reading", "read_at", true, "YYYYYY"},         {"reading", "read_at", false, "NNNNNN"},
    {"kloe", "topic", true, "YYNNNN"},              {"kloe", "topic", false, "YYNNNN"},
};

const bytes me(16, 1), other(16, 2);

rules::row_change change(const char* table, const char* field, bool create, value v = std::string("x")) {
  rules::row_change c;
  c.table = table;
  c.row = bytes(16, 9);
  c.field = field;
  c.val = std::move(v);
  c.actor = me;
  c.row_exists = !create;
  bool authored = rules::author_field(table) != nullptr;
  c.names_author = create && authored;
  c.row_author = create || !authored ? bytes{} : other;
  return c;
}

std::string allowed_for(const rules::row_change& c) {
  std::string out;
  for (role r : roles) out += rules::check(c, r).ok() ? 'Y' : 'N';
  return out;
}

}  // namespace

TEST_CASE("rules: every table x role x create/update") {
  for (const auto& w : matrix) {
    auto c = change(w.table, w.field, w.create);
    CHECK_MESSAGE(allowed_for(c) == w.allowed, w.table << "." << w.field << (w.create ? " create" : " update"));
  }
}

TEST_CASE("rules: a new row names its writer, never another member, and starts in a status its writer may set") {
  // An author or created_by naming another member: refused for every role, on create and update.
  for (const char* table : {"question", "annotation", "kloe", "reading"}) {
    for (bool create : {true, false}) {
      auto c = change(table, rules::author_field(table), create, other);
      CHECK_MESSAGE(allowed_for(c) == "NNNNNN", table << " author, create " << create);
    }
  }
  for (const auto& w : matrix) {
    auto c = change(w.table, "created_by", w.create, other);
    CHECK_MESSAGE(allowed_for(c) == "NNNNNN", w.table << " created_by");
    auto own = change(w.table, "created_by", w.create, me);
    CHECK_MESSAGE(allowed_for(own) == w.allowed, w.table << " own created_by");
  }
  // A new row of a table with an author that does not name one: refused.
  for (const char* table : {"question", "annotation", "kloe", "reading"}) {
    auto c = change(table, "body", true);
    c.names_author = false;
    CHECK_MESSAGE(allowed_for(c) == "NNNNNN", table << " without author");
  }
  // A question's first status: the one its writer's role may set.
  CHECK(allowed_for(change("question", "status", true, std::string("draft"))) == "YYYYNN");
  CHECK(allowed_for(change("question", "status", true, std::string("submitted"))) == "YYYYNN");
  CHECK(allowed_for(change("question", "status", true, std::string("consolidated"))) == "YYNNNN");
  CHECK(allowed_for(change("question", "status", true, std::string("answered"))) == "NNNNNN");
  CHECK(allowed_for(change("question", "status", true, std::string("no such status"))) == "NNNNNN");
}
