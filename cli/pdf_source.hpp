// Native PDF reading for pack import: poppler's pdftohtml (poppler-utils)
// gives every page's text runs with position, font size and weight, and the
// outline with its pages; the core groups runs into lines (lines_of_runs),
// exactly as it does for pdf.js in the webapp.
#pragma once
#include <string>
#include <string_view>

#include "packline/pack_import.hpp"
#include "packline/result.hpp"

namespace packline::cli {

// The neutral form of a PDF file (pages, lines, outline).
result<pack::source> pdf_source(const std::string& path);
// The same from pdftohtml's XML output (for tests).
result<pack::source> source_of_pdf_xml(std::string_view xml);

}  // namespace packline::cli
