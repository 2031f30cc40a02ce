// The packline CLI as a user drives it: dry-run previews, PDF import through
// pdftotext, and a clerk, a chair and a member working through the real server.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "packline/crypto/crypto.hpp"
#include "packs.hpp"
#include "support/cli_run.hpp"
#include "support/server_fixture.hpp"

using namespace packline;
using namespace packline::test;

namespace {

run_result cli(const temp_dir& tmp, const std::string& device, const std::vector<std::string>& args) {
  run_result r = run_cli(PACKLINE_CLI_BIN, tmp.sub(device), args, tmp.sub("stderr.txt"));
  REQUIRE(r.code != -1);
  return r;
}

std::string first_word(const std::string& s) { return s.substr(0, s.find_first_of(" \n")); }

std::string line_with(const std::string& out, const std::string& needle) {
  std::istringstream in(out);
  std::string l;
  while (std::getline(in, l))
    if (l.find(needle) != std::string::npos) return l;
  return {};
}

// A small two-column-free PDF: the front sheet and agenda on page 1, the
// report on pages 2-3 (Helvetica text objects, a correct xref table).
std::string make_pdf() {
  std::vector<std::vector<std::string>> pages = {
      {"North Shire Police and Crime Panel", "Date: Wednesday, 7 July 2021", "Time: 2.30 pm", "Venue: Council Chamber",
       "Membership: (Quorum 3)", "Ann Lee (Chair), Bo Grant (Vice-Chair) and Cy Hale", "A G E N D A", "1 APOLOGIES",
       "To receive any apologies for absence.", "2 PRECEPT REPORT", "2 - 3", "The Treasurer's report."},
      {"PRECEPT REPORT", "The precept rises by 3 per cent."},
      {"Appendix: the figures."},
  };
  std::vector<std::string> objs{"<< /Type /Catalog /Pages 2 0 R >>", "",
                                "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
  std::string kids;
  for (std::size_t i = 0; i < pages.size(); ++i) {
    std::string stream;
    int y = 760;
    for (auto& l : pages[i]) {
      stream += "BT /F1 11 Tf 72 " + std::to_string(y) + " Td (" + l + ") Tj ET\n";
      y -= 24;
    }
    kids += std::to_string(4 + 2 * i) + " 0 R ";
    objs.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents " +
                   std::to_string(5 + 2 * i) + " 0 R >>");
    objs.push_back("<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream + "endstream");
  }
  objs[1] = "<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages.size()) + " >>";
  std::string out = "%PDF-1.4\n";
  std::vector<std::size_t> offs;
  for (std::size_t i = 0; i < objs.size(); ++i) {
    offs.push_back(out.size());
    out += std::to_string(i + 1) + " 0 obj\n" + objs[i] + "\nendobj\n";
  }
  std::size_t xref = out.size();
  out += "xref\n0 " + std::to_string(objs.size() + 1) + "\n0000000000 65535 f \n";
  for (auto o : offs) {
    char b[32];
    std::snprintf(b, sizeof b, "%010zu 00000 n \n", o);
    out += b;
  }
  out += "trailer\n<< /Size " + std::to_string(objs.size() + 1) + " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) +
         "\n%%EOF\n";
  return out;
}

// A real server, and the CLI run as several devices in its folder.
struct session : server_fixture {
  std::string url = "ws://127.0.0.1:" + std::to_string(port());
  std::string file = test::packs_dir() + "/" + december_2020;

  // Runs a command that must succeed; its standard output.
  std::string ok(const std::string& dev, const std::vector<std::string>& args) {
    auto r = cli(tmp, dev, args);
    INFO(dev << " " << args[0] << ": " << r.err);
    REQUIRE(r.code == 0);
    return r.out;
  }
  // Runs a command that must fail (exit 1); its standard error.
  std::string refused(const std::string& dev, const std::vector<std::string>& args) {
    auto r = cli(tmp, dev, args);
    CHECK(r.code == 1);
    return r.err;
  }
};

}  // namespace

PACKS_TEST_CASE("cli: import --dry-run --json previews the December 2020 pack without writing") {
  temp_dir tmp;
  std::string file = test::packs_dir() + "/" + december_2020;
  (void)read_pack(december_2020);  // fails when the packs are missing
  auto r = cli(tmp, "dev", {"import", "--dry-run", "--json", file});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("\"kind\": \"agenda_pack\"") != std::string::npos);
  CHECK(r.out.find("\"date\": \"2020-12-10\"") != std::string::npos);
  CHECK(r.out.find("{\"number\": \"2\", \"title\": \"MINUTES\", \"pages\": \"5 - 14\"") != std::string::npos);
  CHECK(r.out.find("{\"number\": \"13\", \"title\": \"EXEMPT BUSINESS\"") != std::string::npos);
  CHECK(r.err.find("import: parse") != std::string::npos);  // progress on stderr, JSON alone on stdout
  CHECK(r.out.rfind("{", 0) == 0);
  std::ifstream none(tmp.sub("dev/replica.db"));
  CHECK_FALSE(none.good());  // nothing written

  // Without --json: the items, and the appendices inside their papers.
  auto text = cli(tmp, "dev", {"import", "--dry-run", file});
  REQUIRE(text.code == 0);
  CHECK(text.out.find("  2  appendix: Appendix to Minutes - DCJB Update  (page ") != std::string::npos);
  CHECK(text.out.find("  8  appendix: Appendix A \xe2\x80\x93 Health and Wellbeing Initiatives  (page ") != std::string::npos);

  // A document with no agenda is still imported, as a document.
  auto doc = cli(tmp, "dev", {"import", "--dry-run", "--json", test::packs_dir() + "/" + monitoring_2017});
  CHECK(doc.code == 0);
  CHECK(doc.out.find("\"kind\": \"document\"") != std::string::npos);
  CHECK(cli(tmp, "dev", {"import", tmp.sub("missing.txt")}).err.find("cannot read") != std::string::npos);
}

TEST_CASE("cli: a PDF pack is read page by page with poppler") {
  temp_dir tmp;
  std::string pdf = tmp.sub("pack.pdf");
  std::ofstream(pdf, std::ios::binary) << make_pdf();
  auto r = cli(tmp, "dev", {"import", "--dry-run", "--json", pdf});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.err.find("3 PDF pages") != std::string::npos);
  CHECK(r.out.find("\"pages\": 3, \"pages_exact\": true") != std::string::npos);
  CHECK(r.out.find("\"time\": \"14:30\"") != std::string::npos);
  CHECK(r.out.find("\"chair\": \"Ann Lee\"") != std::string::npos);
  CHECK(r.out.find("{\"number\": \"2\", \"title\": \"PRECEPT REPORT\", \"pages\": \"2 - 3\"") != std::string::npos);
  std::ofstream(tmp.sub("broken.pdf")) << "%PDF-1.4 not really";
  auto broken = cli(tmp, "dev", {"import", "--dry-run", tmp.sub("broken.pdf")});
  CHECK(broken.code == 1);
  CHECK(broken.err.find("could not be read as a PDF") != std::string::npos);
}

TEST_CASE("cli: a PDF's outline places the papers, and a PDF's outline alone gives the items (poppler)") {
  temp_dir tmp;
  // Made from the corpus texts by tests/corpus/makepdf.mjs.
  auto r = cli(tmp, "dev", {"import", "--dry-run", "--json", std::string(PACKLINE_CORPUS_DIR) + "/p17-paged-papers.outline.pdf"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.err.find("5 PDF pages, with an outline") != std::string::npos);
  CHECK(r.out.find("\"outline_used\": true") != std::string::npos);
  CHECK(r.out.find("{\"number\": \"3\", \"title\": \"POLICE AND CRIME PLAN UPDATE\", \"pages\": \"4 - 5\"") != std::string::npos);
  CHECK(r.out.find("\"evidence\": {\"page\": 1, \"line\": ") != std::string::npos);
  auto plain = cli(tmp, "dev", {"import", "--dry-run", "--json", std::string(PACKLINE_CORPUS_DIR) + "/p17-paged-papers.plain.pdf"});
  REQUIRE(plain.code == 0);
  CHECK(plain.out.find("\"outline_used\": false") != std::string::npos);
  auto only = cli(tmp, "dev", {"import", "--dry-run", "--json", std::string(PACKLINE_CORPUS_DIR) + "/p18-outline-only-labels.outline.pdf"});
  REQUIRE(only.code == 0);
  CHECK(only.out.find("{\"number\": \"2\", \"title\": \"Anti-Social Behaviour Update\", \"pages\": \"3\"") != std::string::npos);
}

TEST_CASE("cli: a PDF's page labels map the agenda's printed page numbers to its pages (poppler)") {
  temp_dir tmp;
  // Two front pages numbered i and ii, then the papers from 1: "Pages 1 - 2"
  // is the third and fourth page of the file (tests/corpus/makepdf.mjs).
  auto r = cli(tmp, "dev", {"import", "--dry-run", "--json", std::string(PACKLINE_CORPUS_DIR) + "/p19-roman-front-pages.plain.pdf"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("\"page_labels_used\": true") != std::string::npos);
  CHECK(r.out.find("\"pages\": \"1 - 2\", \"first_page\": 1, \"last_page\": 2, \"exempt\": false, \"document\": \"MINUTES OF THE MEETING HELD ON 8 JULY 2025\"") != std::string::npos);
  CHECK(r.out.find("\"pages\": \"3 - 4\", \"first_page\": 3, \"last_page\": 4, \"exempt\": false, \"document\": \"LIBRARY SERVICE REVIEW\"") != std::string::npos);
  // A PDF without labels reports none (as pdf.js does).
  auto plain = cli(tmp, "dev", {"import", "--dry-run", "--json", std::string(PACKLINE_CORPUS_DIR) + "/p17-paged-papers.plain.pdf"});
  REQUIRE(plain.code == 0);
  CHECK(plain.out.find("\"page_labels_used\": false") != std::string::npos);
}

PACKS_TEST_CASE("cli: clerk, chair and member work through the real server") {
  session s;
  auto& tmp = s.tmp;
  const auto& url = s.url;
  const auto& file = s.file;
  auto ok = [&](const std::string& dev, const std::vector<std::string>& args) { return s.ok(dev, args); };
  ok("clerk", {"join", "--server", url, "--name", "Elaine Tibble", "--role", "clerk"});
  std::string chair = first_word(ok("clerk", {"add-member", "Mike Short", "chair"}));
  std::string sherry = first_word(ok("clerk", {"add-member", "Sherry Jespersen", "member"}));
  // A member may not publish.
  auto imported = cli(tmp, "clerk", {"import", "--add-members", "--add-priorities", file});
  INFO(imported.err);
  REQUIRE(imported.code == 0);
  CHECK(imported.out.find("13 items") != std::string::npos);
  CHECK(imported.err.find("import: write") != std::string::npos);  // progress
  ok("clerk", {"sync"});

  ok("member", {"join", "--server", url});
  ok("member", {"sign-in", sherry});
  std::string meeting = first_word(ok("member", {"meetings"}));
  std::string items = ok("member", {"items", meeting});
  CHECK(line_with(items, "  11  FORWARD PLAN  (pages 39 - 48)").size() > 0);
  std::string item5 = first_word(line_with(items, "  5  POLICE AND CRIME PLAN MONITORING REPORT"));
  REQUIRE(item5.size() == 32);
  auto refused = cli(tmp, "member", {"import", file});
  CHECK(refused.code == 1);
  CHECK(refused.err.find("only the clerk publishes packs") != std::string::npos);
  std::string q1 = first_word(ok("member", {"draft", "--item", item5, "Why has recorded hate crime risen by 36.7%?"}));
  ok("member", {"submit", q1});
  std::string q2 = first_word(ok("member", {"draft", "--item", item5, "--parts", "2", "(a) Why? (b) When?"}));
  auto limit = cli(tmp, "member", {"submit", q2});
  CHECK(limit.code == 1);
  CHECK(limit.err.find("Your draft is kept.") != std::string::npos);
  ok("member", {"sync"});

  ok("chair", {"join", "--server", url});
  ok("chair", {"sign-in", chair});
  std::string cq = first_word(ok("chair", {"consolidate", "--meeting", meeting, "--from", q1, "--lead", sherry,
                                           "--lead-label", "Priority One (Sherry)", "What lies behind the 36.7% rise?"}));
  std::string md = ok("chair", {"export", meeting});
  CHECK(md.find("**1. Question Lead – Priority One (Sherry)**\n\nWhat lies behind the 36.7% rise?") != std::string::npos);
  ok("chair", {"export", meeting, "--format", "html", "--out", tmp.sub("list.html")});
  std::ifstream html(tmp.sub("list.html"));
  std::stringstream hs;
  hs << html.rdbuf();
  CHECK(hs.str().find("<span class=\"lead\">Question Lead – Priority One (Sherry)</span>") != std::string::npos);
  ok("chair", {"sync"});

  ok("clerk", {"sync"});
  ok("clerk", {"respond", cq, "--at", "01:20:24", "Better recording after the awareness campaign."});
  ok("clerk", {"action", "--meeting", meeting, "--owner", "PCC", "--due", "2021-02-04", "Send the breakdown by district"});
  ok("clerk", {"sync"});
  ok("member", {"sync"});
  std::string qs = ok("member", {"questions", meeting});
  CHECK(line_with(qs, q1).find("answered at the meeting (Q1)") != std::string::npos);
  CHECK(line_with(qs, q2).find("  draft  ") != std::string::npos);
  CHECK(ok("member", {"actions", meeting}).find("open  PCC  2021-02-04  Send the breakdown by district") != std::string::npos);
  CHECK(ok("member", {"status"}).find("unsent  0 changes") != std::string::npos);
}

PACKS_TEST_CASE("cli: annotate, KLOEs and public submissions through the real server") {
  session s;
  const auto& url = s.url;
  const auto& file = s.file;
  auto ok = [&](const std::string& dev, const std::vector<std::string>& args) { return s.ok(dev, args); };
  auto refused = [&](const std::string& dev, const std::vector<std::string>& args) { return s.refused(dev, args); };

  // The clerk imports; the front sheet's members come with it.
  ok("clerk", {"join", "--server", url, "--name", "Elaine Tibble", "--role", "clerk"});
  std::string imported = ok("clerk", {"import", "--add-members", "--add-priorities", file});
  CHECK(imported.find("front sheet: 0 members matched on the panel, 12 added: Mike Short (chair), Bobbie Dove (vice_chair)") !=
        std::string::npos);
  CHECK(imported.find("answers recorded") == std::string::npos);  // the minutes cite no recording times
  std::string members = ok("clerk", {"members"});
  CHECK(line_with(members, "Mike Short").find("  chair  ") != std::string::npos);
  std::string sherry = first_word(line_with(members, "Sherry Jespersen"));
  std::string pete = first_word(line_with(members, "Pete Barrow"));
  REQUIRE(sherry.size() == 32);
  std::string meeting = first_word(ok("clerk", {"meetings"}));
  std::string priority = first_word(ok("clerk", {"priorities"}));
  REQUIRE(priority.size() == 32);
  ok("clerk", {"leads", priority, sherry});
  CHECK(line_with(ok("clerk", {"priorities"}), priority).find("leads: " + sherry) != std::string::npos);

  // Public questions: in time, late, and the decisions listed.
  std::string in_time = ok("clerk", {"submission", "--meeting", meeting, "--name", "A Resident", "--received",
                                     "2020-12-07 08:00", "Will the PCC fund more PCSOs in Weymouth?"});
  CHECK(in_time.find("  accepted") != std::string::npos);
  std::string late = ok("clerk", {"submission", "--meeting", meeting, "--name", "B Resident", "--statement", "--received",
                                  "2020-12-07 09:00", "The bus station needs more patrols."});
  CHECK(late.find("not accepted: it arrived after the deadline (2020-12-07 08:30)") != std::string::npos);
  std::string listed = ok("clerk", {"submissions", meeting});
  CHECK(line_with(listed, "A Resident").find("question  accepted") != std::string::npos);
  CHECK(line_with(listed, "B Resident").find("statement  not accepted") != std::string::npos);
  CHECK(refused("clerk", {"submission", "--meeting", meeting, "--name", "C", "--received", "7 Dec", "x"})
            .find("--received reads like") != std::string::npos);
  ok("clerk", {"sync"});

  // A member annotates a paragraph of item 5 for the panel, privately, and a lead drafts a KLOE.
  ok("member", {"join", "--server", url});
  ok("member", {"sign-in", sherry});
  std::string items = ok("member", {"items", meeting});
  std::string item5 = first_word(line_with(items, "  5  POLICE AND CRIME PLAN MONITORING REPORT"));
  std::string blocks = ok("member", {"blocks", item5});
  std::string para = line_with(blocks, "  paragraph  ");
  REQUIRE(!para.empty());
  std::string block = first_word(para);
  std::string text = para.substr(para.find("  paragraph  ") + 13);
  std::string quote = text.substr(0, std::min<std::size_t>(20, text.size()));
  std::string note = first_word(ok("member", {"annotate", "--block", block, "--quote", quote, "--note", "Ask about Q1",
                                              "--visibility", "panel"}));
  ok("member", {"annotate", "--block", block});  // a private highlight of the whole paragraph
  CHECK(refused("member", {"annotate", "--block", block, "--quote", "words not there"}).find("does not contain") !=
        std::string::npos);
  std::string mine = ok("member", {"annotations", meeting});
  CHECK(line_with(mine, note).find("panel  note  exact") != std::string::npos);
  CHECK(line_with(mine, note).find("\"" + quote + "\"  Ask about Q1") != std::string::npos);
  CHECK(line_with(mine, "private  highlight  exact").size() > 0);

  std::string kloe = first_word(ok("member", {"kloe", "draft", "--priority", priority, "--topic", "Hate crime",
                                              "--approach", "SSR", "--meeting", "4 February 2021",
                                              "- Why has recorded hate crime risen?\n- What support do victims get?"}));
  REQUIRE(kloe.size() == 32);
  std::string ks = ok("member", {"kloe", "list", priority});
  CHECK(ks.find(kloe + "  SSR  4 February 2021  Hate crime\n- Why has recorded hate crime risen?") != std::string::npos);
  CHECK(refused("member", {"kloe", "draft", "--priority", priority, "--approach", "Email", "--topic", "T", "x"})
            .find("the approach is Agenda or SSR") != std::string::npos);
  ok("member", {"sign-in", pete});
  CHECK(refused("member", {"kloe", "draft", "--priority", priority, "--topic", "T", "x"})
            .find("only a lead of this priority drafts its key lines of enquiry") != std::string::npos);
  // Another member sees the panel's note, not Sherry's private highlight.
  std::string petes = ok("member", {"annotations", meeting});
  CHECK(line_with(petes, note).size() > 0);
  CHECK(line_with(petes, "private").empty());
  ok("member", {"sign-in", sherry});
  ok("member", {"sync"});
  ok("clerk", {"sync"});
  CHECK(ok("clerk", {"kloe", "list"}).find(kloe) != std::string::npos);
  CHECK(line_with(ok("clerk", {"annotations", meeting}), note).size() > 0);
}

PACKS_TEST_CASE("cli: annotation edit and delete, read marks, groups merged, forward plan edits through the real server") {
  session s;
  auto& tmp = s.tmp;
  const auto& url = s.url;
  const auto& file = s.file;
  auto ok = [&](const std::string& dev, const std::vector<std::string>& args) { return s.ok(dev, args); };
  auto refused = [&](const std::string& dev, const std::vector<std::string>& args) { return s.refused(dev, args); };

  ok("clerk", {"join", "--server", url, "--name", "Elaine Tibble", "--role", "clerk"});
  ok("clerk", {"import", "--add-members", "--add-priorities", file});
  std::string members = ok("clerk", {"members"});
  std::string chair = first_word(line_with(members, "Mike Short"));
  std::string sherry = first_word(line_with(members, "Sherry Jespersen"));
  std::string pete = first_word(line_with(members, "Pete Barrow"));
  std::string meeting = first_word(ok("clerk", {"meetings"}));

  // The clerk edits a forward plan row; the approach is Agenda or SSR.
  std::string fp = ok("clerk", {"forward-plan"});
  std::string row = first_word(fp);
  REQUIRE(row.size() == 32);
  ok("clerk", {"forward-plan", "edit", row, "--notes", "Moved to February", "--approach", "SSR"});
  std::string edited = line_with(ok("clerk", {"forward-plan"}), row);
  CHECK(edited.find("|  SSR  |") != std::string::npos);
  CHECK(edited.find("|  Moved to February") != std::string::npos);
  CHECK(refused("clerk", {"forward-plan", "edit", row, "--approach", "Email"}).find("the approach is Agenda or SSR") !=
        std::string::npos);
  ok("clerk", {"sync"});

  // Sherry annotates, edits and deletes her note; Pete may not edit it.
  ok("member", {"join", "--server", url});
  ok("member", {"sign-in", sherry});
  CHECK(refused("member", {"forward-plan", "edit", row, "--notes", "x"}).find("only the chair or the clerk edits the forward plan") !=
        std::string::npos);
  std::string item5 = first_word(line_with(ok("member", {"items", meeting}), "  5  POLICE AND CRIME PLAN MONITORING REPORT"));
  std::string para = line_with(ok("member", {"blocks", item5}), "  paragraph  ");
  REQUIRE(!para.empty());
  std::string block = first_word(para);
  std::string note = first_word(ok("member", {"annotate", "--block", block, "--note", "Ask about Q1", "--visibility", "panel"}));
  ok("member", {"annotation", "edit", note, "--note", "Ask about Q2"});
  std::string l = line_with(ok("member", {"annotations", meeting}), note);
  CHECK(l.find("panel  note  exact") != std::string::npos);
  CHECK(l.find("Ask about Q2") != std::string::npos);
  ok("member", {"sign-in", pete});
  CHECK(refused("member", {"annotation", "edit", note, "--note", "Mine now"}).find("only the author edits an annotation") !=
        std::string::npos);
  ok("member", {"sign-in", sherry});
  ok("member", {"annotation", "edit", note, "--visibility", "private"});
  l = line_with(ok("member", {"annotations", meeting}), note);
  CHECK(l.find("private  note  exact") != std::string::npos);
  CHECK(l.find("Ask about Q2") != std::string::npos);  // the words stay
  ok("member", {"annotation", "delete", note});
  CHECK(line_with(ok("member", {"annotations", meeting}), note).empty());

  // Read marks: nothing changed since version 1 was read.
  CHECK(ok("member", {"changed", meeting}).find("not marked as read; the current version is 1") != std::string::npos);
  ok("member", {"read", meeting});
  CHECK(ok("member", {"changed", meeting}).find("read version 1, current version 1: 0 blocks changed") != std::string::npos);

  // Two members' drafts, grouped by the chair, then merged.
  std::string q1 = first_word(ok("member", {"draft", "--item", item5, "Why has recorded hate crime risen by 36.7%?"}));
  ok("member", {"submit", q1});
  ok("member", {"sign-in", pete});
  std::string q2 = first_word(ok("member", {"draft", "--item", item5, "What is behind the rise in hate crime?"}));
  ok("member", {"submit", q2});
  CHECK(refused("member", {"group", "--meeting", meeting, q1 + "," + q2})
            .find("only the chair or vice-chair edits the final question list") != std::string::npos);
  ok("member", {"sync"});
  ok("chair", {"join", "--server", url});
  ok("chair", {"sign-in", chair});
  std::string g = first_word(ok("chair", {"group", "--meeting", meeting, q1 + "," + q2}));
  REQUIRE(g.size() == 32);
  CHECK(ok("chair", {"groups", meeting}).find(g + "  G1  " + q1 + "," + q2) != std::string::npos);
  CHECK(ok("chair", {"list", meeting}).empty());  // grouped, not merged
  ok("chair", {"merge", g, "--lead", sherry, "--lead-label", "Priority One (Sherry)", "What lies behind the 36.7% rise?"});
  CHECK(ok("chair", {"groups", meeting}).empty());
  CHECK(ok("chair", {"list", meeting}).find(g + "  Q1  In quarter  What lies behind the 36.7% rise?") != std::string::npos);
  ok("chair", {"sync"});

  // The clerk republishes with one paragraph reworded: Sherry sees what
  // changed since she read version 1; the forward plan edit stays.
  std::string text;
  {
    std::ifstream f(file, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    text = ss.str();
  }
  const std::string from = "Spotlight: The lack of local fraud data as a barrier";
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), "Spotlight: The lack of local and regional fraud figures as a barrier");
  std::ofstream(tmp.sub("v2.txt"), std::ios::binary) << text;
  ok("clerk", {"sync"});
  CHECK(ok("clerk", {"import", tmp.sub("v2.txt")}).find("as version 2") != std::string::npos);
  ok("clerk", {"sync"});
  ok("member", {"sign-in", sherry});
  ok("member", {"sync"});
  std::string changed = ok("member", {"changed", meeting});
  CHECK(changed.find("read version 1, current version 2: 1 blocks changed") != std::string::npos);
  CHECK(changed.find("changed  p.") != std::string::npos);
  CHECK(changed.find("local and regional fraud figures") != std::string::npos);
  CHECK(line_with(ok("member", {"questions", meeting}), q1).find("merged into Q1") != std::string::npos);
}

TEST_CASE("cli: the command line is strict: every command has --help, and a mistyped option or stray word is refused") {
  temp_dir tmp;
  auto v = cli(tmp, "dev", {"--version"});
  CHECK(v.code == 0);
  CHECK(v.out.find('.') != std::string::npos);
  // `packline help` lists the commands; each answers --help with its usage.
  auto help = cli(tmp, "dev", {"help"});
  REQUIRE(help.code == 0);
  auto at = help.out.find("Subcommands:");
  REQUIRE(at != std::string::npos);
  std::istringstream in(help.out.substr(at));
  std::string line;
  std::size_t commands = 0;
  std::getline(in, line);
  while (std::getline(in, line)) {
    if (line.rfind("  ", 0) != 0) break;
    std::string name = first_word(line.substr(2));
    auto h = cli(tmp, "dev", {name, "--help"});
    INFO(name);
    CHECK(h.code == 0);
    CHECK(h.out.find("Usage: packline " + name) != std::string::npos);
    ++commands;
  }
  CHECK(commands >= 35);
  // Mistakes are exit 2 with the reason, and nothing is done.
  auto typo = cli(tmp, "dev", {"draft", "--itme", "5", "Why?"});
  CHECK(typo.code == 2);
  CHECK(typo.err.find("--itme") != std::string::npos);
  auto stray = cli(tmp, "dev", {"submit", "Q1", "Q2"});
  CHECK(stray.code == 2);
  CHECK(stray.err.find("Q2") != std::string::npos);
  auto missing = cli(tmp, "dev", {"respond", "Q1"});
  CHECK(missing.code == 2);
  CHECK(missing.err.find("TEXT") != std::string::npos);
  CHECK(cli(tmp, "dev", {"kloe", "drafts"}).code == 2);
  CHECK(cli(tmp, "dev", {"frobnicate"}).code == 2);
  // An option of another command is not taken silently.
  CHECK(cli(tmp, "dev", {"meetings", "--format", "html"}).code == 2);
  CHECK_FALSE(std::filesystem::exists(tmp.sub("dev") + "/replica.db"));
}

TEST_CASE("cli: a server started with --tls-cert is reached over wss:// with --ca, which the device keeps") {
  temp_dir tmp;
  std::string cert = tmp.sub("cert.pem"), key = tmp.sub("key.pem");
  REQUIRE(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                       "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " + key +
                       " -out " + cert + " >/dev/null 2>&1").c_str()) == 0);
  server_process srv(tmp.sub("data"), tmp.sub("server.log"), {"--tls-cert", cert, "--tls-key", key});
  REQUIRE_MESSAGE(srv.start(), srv.error());
  const std::string url = "wss://localhost:" + std::to_string(srv.port());

  auto joined = cli(tmp, "clerk", {"--ca", cert, "join", "--server", url, "--name", "Dana", "--role", "clerk"});
  INFO(joined.err);
  REQUIRE(joined.code == 0);
  auto drafted = cli(tmp, "clerk", {"add-member", "Ravi", "member"});
  REQUIRE(drafted.code == 0);
  // Later runs use the kept CA: no --ca.
  auto synced = cli(tmp, "clerk", {"sync"});
  INFO(synced.err);
  CHECK(synced.code == 0);
  auto other = cli(tmp, "member", {"--ca", cert, "join", "--server", url});
  REQUIRE(other.code == 0);
  CHECK(cli(tmp, "member", {"members"}).out.find("Ravi") != std::string::npos);
  // A device that does not trust the certificate is refused in words, and
  // never falls back to plain ws://.
  auto untrusted = cli(tmp, "stranger", {"join", "--server", url});
  CHECK(untrusted.code == 1);
  CHECK(untrusted.err.find("certificate verify failed") != std::string::npos);
  CHECK(srv.terminate() == 0);
}
