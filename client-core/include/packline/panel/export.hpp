// The chair's consolidated question list in the panel's own form: numbered,
// in sections ("In quarter questions", "Quarterly report", "Finance"), each
// with its "Question Lead – Priority Two (Sherry)" line. Markdown for
// sharing, HTML for printing (one self-contained page, print CSS).
#pragma once
#include <string>

#include "packline/replica/replica.hpp"

namespace packline::exporter {

result<std::string> markdown(replica& r, const std::string& meeting_id);
result<std::string> html(replica& r, const std::string& meeting_id);

}  // namespace packline::exporter
