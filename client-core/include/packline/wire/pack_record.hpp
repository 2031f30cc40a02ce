// A pack as the readers see it: the neutral form a document is read into
// (pages of lines, runs, the outline) and the parsed pack made from it
// (meeting, items, documents, blocks, forward plan, priorities, answers).
// Plain values: panel/pack_import.hpp reads them, the codec carries a parsed
// pack from the webapp's import worker to its core.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace packline::pack {

// Called as work advances: stage ("parse", "write"), done, total.
using progress_fn = std::function<void(std::string_view stage, std::size_t done, std::size_t total)>;

// ---- the neutral form ------------------------------------------------------

struct text_line {
  std::string text;
  double size = 0;    // font size in points (0: unknown, as in plain text)
  bool bold = false;
  double x = 0, y = 0;  // left and top on the page, in points
};
struct source_page {
  std::vector<text_line> lines;
  std::string label;  // the PDF's page label ("5", "iii"), "" when it has none
};
struct outline_entry {
  std::string title;
  int page = 0;   // 1-based physical page it points to (0: none)
  int level = 0;  // 0: top level
};
struct source {
  std::vector<source_page> pages;
  std::vector<outline_entry> outline;
  bool paged = true;  // false: plain text with no page breaks
};
// A run of text as PDF readers give it (poppler's pdftohtml, pdf.js): the
// core groups a page's runs into lines, so every reader yields the same lines.
struct text_run {
  std::string text;
  double x = 0, y = 0;  // left and top, in points, y growing down the page
  double width = 0, size = 0;
  bool bold = false;
};
// Where a recognised thing was read (page 0: the source has no pages; line is
// then counted from the start of the file) and how sure the reading is (0-1).
struct evidence {
  int page = 0, line = 0;
  double confidence = 0;
};

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
  std::vector<std::string> vice_chairs;  // all of them when the pack names two
  // Evidence per field read: "body", "date", "time", "venue", "members", "chair", "quorum".
  std::vector<std::pair<std::string, evidence>> found;
};

struct item {
  std::string number, title, pages, description;
  int first_page = 0, last_page = 0;  // 0: the item has no papers (verbal, standing)
  bool exempt = false;
  std::string document;  // title of the document that follows for this item
  std::string minute;    // minute number printed with or instead of the item number ("39/20")
  std::string parent;    // a sub-item's parent number ("5" for "5(a)")
  std::string note;      // "To Follow", "Verbal Report", "To Note" instead of pages
  evidence found;
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
  std::string kind;  // "agenda_pack", "report" (one report for a meeting), "supplement", "document" (no agenda found)
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
  bool outline_used = false;       // the PDF's outline placed or gave items
  bool page_labels_used = false;   // printed page numbers mapped through the PDF's page labels
  std::vector<std::string> warnings;
};

}  // namespace packline::pack
