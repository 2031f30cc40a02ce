// Agenda pack import, part one: a document in the neutral form (pages of
// lines with size, weight and position, the PDF's outline and page labels;
// text is the same form without styles) to a parsed pack — meeting, agenda
// items with page ranges, the documents that follow, blocks with page
// numbers, forward plan rows, plan priorities, each recognised thing with its
// evidence and a confidence. Pure: no replica, no I/O; the CLI (poppler) and
// the webapp (pdf.js) build the form, workflow::import_pack() writes the
// result into a replica. Unrecognised text is kept as plain blocks, and a
// document with no recognisable agenda is still imported (kind "document").
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "packline/base/result.hpp"
#include "packline/wire/pack_record.hpp"

namespace packline::pack {

// Plain text as the neutral form: form feeds (pdftotext) mark pages.
source source_of_text(std::string_view text);

// A page's runs (text_run) grouped into lines: every PDF reader yields the same lines.
std::vector<text_line> lines_of_runs(std::vector<text_run> runs);

// Any document in the neutral form. Only one with no readable text is
// refused (errc::invalid_argument, saying why); one with no recognisable
// agenda is kind "document", its text kept for the clerk to structure.
result<parsed> parse_source(const source& s, const progress_fn& progress = {});
// Text of a whole pack; form feeds (pdftotext) mark page breaks.
result<parsed> parse_text(std::string_view text, const progress_fn& progress = {});
// One string per PDF page, first page first.
result<parsed> parse_pages(const std::vector<std::string>& pages, const progress_fn& progress = {});
// A document added to an existing meeting (late paper, appendix, minutes,
// supplement): any readable text is accepted; `title` defaults to its first heading.
result<parsed> parse_supplement(std::string_view text, const std::string& title = {});
result<parsed> parse_supplement_source(const source& s, const std::string& title = {});

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
