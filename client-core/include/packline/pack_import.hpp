// Agenda pack import, part one: text (or PDF text per page) to a parsed pack —
// meeting, agenda items with page ranges, the documents that follow, blocks
// with page numbers, forward plan rows, plan priorities. Pure: no replica, no
// I/O; the CLI reads files and runs pdftotext, workflow::import_pack() writes
// the result into a replica. Unrecognised text is kept as plain blocks.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "packline/result.hpp"

namespace packline::pack {

// Called as work advances: stage ("parse", "write"), done, total.
using progress_fn = std::function<void(std::string_view stage, std::size_t done, std::size_t total)>;

struct meeting_info {
  std::string body;        // "Dorset Police and Crime Panel"
  std::string title;       // the meeting's title (the body's name unless stated)
  std::string date;        // YYYY-MM-DD
  std::string time;        // HH:MM (24 h)
  std::string venue;
  std::string membership;  // the membership line as printed
  std::string chair, vice_chair;
  std::vector<std::string> members;  // everyone listed, chair and vice-chair included
  std::vector<std::string> independent_members;  // those marked "(Independent Member)"
  int quorum = 0;
  std::string public_deadline;  // "YYYY-MM-DD HH:MM" local time, when the pack states it
};

struct item {
  std::string number, title, pages, description;
  int first_page = 0, last_page = 0;  // 0: the item has no papers (verbal, standing)
  bool exempt = false;
  std::string document;  // title of the document that follows for this item
};

struct block {
  std::string kind;  // heading, paragraph, list_item, table_row, page_marker
  std::string text;
  int page = 0;
  int item = -1;  // index into items; -1: front sheet and agenda
};

struct document {
  int item = -1;
  std::string title;
  int first_page = 0, last_page = 0;
  std::size_t first_block = 0, blocks = 0;
  // An appendix inside an item's papers ("Appendix A – ...", "Appendix to
  // Minutes - ..."): its own document, after the paper it belongs to.
  bool appendix = false;
};

struct forward_row {
  std::string meeting_label, meeting_date, title, notes, raised_by, lead, kloes, approach;
};

struct priority {
  int number = 0;
  std::string title;
};

// An answer the documents record: a minutes paragraph on a question ("In
// response to a question ... (01:20:24 on recording)") or an entry of a
// questions-and-answers appendix ("Question 3", "Question Lead – ...",
// "Response (00:41:05 on recording)" or "Written response").
struct answer {
  std::string meeting_date;    // the meeting the minutes are of ("" : the pack's own meeting)
  std::string number;          // "3" when the document numbers the question
  std::string question, lead;  // as printed in an appendix ("" in a minutes paragraph)
  std::string text, recording_time;  // "01:20:24" when cited
  bool written = false;
};

struct parsed {
  std::string kind;  // "agenda_pack", "report" (one report for a meeting), "supplement"
  meeting_info meeting;
  std::vector<item> items;
  std::vector<document> documents;
  std::vector<block> blocks;
  std::vector<forward_row> forward_plan;
  std::vector<priority> priorities;
  std::vector<answer> answers;
  int pages = 0;
  bool pages_exact = false;  // from PDF page breaks; otherwise estimated from ranges and "Page N" footers
  std::string fingerprint;   // hex digest of the normalised text (same file, same fingerprint)
  std::vector<std::string> warnings;
};

// Text of a whole pack; form feeds (pdftotext) mark page breaks. A text that
// is neither an agenda pack nor a meeting report is errc::invalid_argument
// with a sentence saying what was looked for.
result<parsed> parse_text(std::string_view text, const progress_fn& progress = {});
// One string per PDF page, first page first.
result<parsed> parse_pages(const std::vector<std::string>& pages, const progress_fn& progress = {});
// A document added to an existing meeting (late paper, appendix, supplement):
// any non-empty text is accepted; `title` defaults to its first heading.
result<parsed> parse_supplement(std::string_view text, const std::string& title = {});

// What an import would recover, as JSON (the CLI's `import --dry-run --json`).
std::string preview_json(const parsed& p);

// Whitespace collapsed and trimmed: the form blocks are compared and hashed in.
std::string normalise(std::string_view s);
// Hex digest (16 bytes) of normalise(s).
std::string text_hash(std::string_view s);

// Small text helpers shared with the workflow and the exports.
std::string json_escape(std::string_view s);
// "10 December 2020", "Thursday, 10 December 2020", "4 February 21" → YYYY-MM-DD ("" if none).
std::string parse_date(std::string_view s);
int count_words(std::string_view s);

}  // namespace packline::pack
