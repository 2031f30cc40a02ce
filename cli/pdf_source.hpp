// Native PDF reading for pack import: poppler's pdftohtml (poppler-utils)
// gives every page's text runs with position, font size and weight, and the
// outline with its pages; poppler-cpp gives the page labels. The core groups
// runs into lines (lines_of_runs), exactly as it does for pdf.js in the webapp.
#pragma once
#include <string>
#include <string_view>

#include "packline/panel/pack_import.hpp"
#include "packline/base/result.hpp"

namespace packline::cli {

// The neutral form of a PDF file (pages, lines, outline).
result<pack::source> pdf_source(const std::string& path);
// The same from pdftohtml's XML output (for tests).
result<pack::source> source_of_pdf_xml(std::string_view xml);
// The PDF's page labels ("i", "ii", "1", ...) onto src's pages; none when the
// PDF has no /PageLabels (as pdf.js reports it).
result<void> read_page_labels(const std::string& path, pack::source& src);

}  // namespace packline::cli
