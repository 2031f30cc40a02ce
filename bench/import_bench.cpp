// Import benchmark's native half: structures each file (text, or PDF through
// poppler) and prints one JSON line per file: {"file", "ms" (structuring,
// without PDF text extraction), "extract_ms", "preview"}. bench/import.mjs
// scores the previews against the corpus's expected JSON.
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "packline/panel/pack_import.hpp"
#include "pdf_source.hpp"

using namespace packline;

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string path = argv[i];
    bool pdf = path.size() > 4 && path.substr(path.size() - 4) == ".pdf";
    auto t0 = std::chrono::steady_clock::now();
    result<pack::source> src = make_error(errc::invalid_argument, "");
    if (pdf) {
      src = cli::pdf_source(path);
    } else {
      std::ifstream f(path, std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      src = pack::source_of_text(ss.str());
    }
    auto t1 = std::chrono::steady_clock::now();
    std::string preview = "null", error;
    if (src) {
      auto p = pack::parse_source(*src);
      if (p) preview = pack::preview_json(*p);
      else error = p.err().message;
    } else {
      error = src.err().message;
    }
    auto t2 = std::chrono::steady_clock::now();
    auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    for (auto& c : preview)
      if (c == '\n') c = ' ';
    std::cout << "{\"file\": \"" << pack::json_escape(path) << "\", \"ms\": " << ms(t1, t2) << ", \"extract_ms\": " << ms(t0, t1)
              << ", \"error\": \"" << pack::json_escape(error) << "\", \"preview\": " << preview << "}\n";
  }
  return 0;
}
