// records_gen: writes what the webapp and API.md say about the core's records
// and error codes, from their one description (panel/records.hpp,
// base/result.hpp's PACKLINE_ERRORS): webapp/src/records.ts whole, and the
// part of client-core/wasm/API.md between its two records markers.
//   records_gen --write ROOT   rewrites both files
//   records_gen --check ROOT   exit 1, naming the file, when either differs
// (the test "records" runs --check).
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "packline/panel/records.hpp"

namespace {

using namespace packline;

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

constexpr const char* value_ts = "string | number | boolean | null";

// How many fields an aggregate has: the most values that brace-initialise it.
// records_gen does not build when a record's struct has a field its list in
// records.hpp leaves out, so a new field cannot silently stay out of the app.
struct any_value {
  template <class T>
  operator T() const;
};
template <class T, class... A>
consteval std::size_t field_count() {
  if constexpr (requires { T{std::declval<A>()..., std::declval<any_value>()}; }) return field_count<T, A..., any_value>();
  else return sizeof...(A);
}

// The TypeScript type of a field's C++ type (a field gives its own where the
// C++ type says less, as for enums).
template <class M>
std::string ts_type() {
  if constexpr (std::is_same_v<M, std::string> || std::is_same_v<M, bytes>) return "string";
  else if constexpr (std::is_same_v<M, bool>) return "boolean";
  else if constexpr (std::is_arithmetic_v<M>) return "number";
  else if constexpr (std::is_same_v<M, value>) return value_ts;
  else if constexpr (std::is_enum_v<M>) return "string";  // by its name; records.hpp lists the names
  else if constexpr (is_vector<M>::value) {
    std::string t = ts_type<typename M::value_type>();
    return (t.find(' ') == std::string::npos ? t : "(" + t + ")") + "[]";
  } else {
    static_assert(records::described<M>, "no TypeScript type for this field's type: give one in records.hpp");
    return records::record<M>::name;
  }
}

// A field's JavaScript value in API.md's words.
template <class M>
std::string md_type(const char* ts) {
  std::string t = ts ? ts : ts_type<M>();
  std::string out;
  for (char c : t) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

template <class T>
void ts_record(std::ostringstream& o) {
  static_assert(field_count<T>() == std::tuple_size_v<std::remove_cvref_t<decltype(records::record<T>::fields)>>,
                "a field of this record is not listed in records.hpp");
  o << "\n// " << records::record<T>::note << "\nexport interface " << records::record<T>::name << " {\n";
  records::each_field<T>([&](const auto& f) {
    using M = std::remove_cvref_t<decltype(std::declval<T>().*(f.member))>;
    o << "  " << f.js << (f.optional ? "?" : "") << ": " << (f.ts ? std::string(f.ts) : ts_type<M>()) << ";";
    if (f.note) o << " // " << f.note;
    o << "\n";
  });
  o << "}\n";
}

template <class T>
void md_record(std::ostringstream& o) {
  o << "\n### " << records::record<T>::name << "\n\n" << records::record<T>::note << "\n\n| field | type | note |\n| --- | --- | --- |\n";
  records::each_field<T>([&](const auto& f) {
    using M = std::remove_cvref_t<decltype(std::declval<T>().*(f.member))>;
    o << "| `" << f.js << "`" << (f.optional ? " (may be left out)" : "") << " | " << md_type<M>(f.ts) << " | "
      << (f.note ? f.note : "") << " |\n";
  });
}

std::string records_ts() {
  std::ostringstream o;
  o << "// The core's records and error codes as the webapp sees them. Written by\n"
       "// records_gen from client-core/include/packline/panel/records.hpp and the\n"
       "// error list in base/result.hpp: do not edit; change those, then run\n"
       "// `build/client-core/records_gen --write .` (the test \"records\" checks it).\n";
  std::apply([&](auto... t) { (ts_record<decltype(t)>(o), ...); }, records::all{});
  o << "\n// Error codes: a fallible call returns {error: {code, message}}.\nexport const errc = {\n";
#define PACKLINE_TS_ERRC(name, number, message) o << "  " #name ": " << number << ",\n";
  PACKLINE_ERRORS(PACKLINE_TS_ERRC)
#undef PACKLINE_TS_ERRC
  o << "} as const;\n";
#define PACKLINE_TS_CONST(name, number, message) o << "export const " << upper(#name) << " = " << number << ";\n";
  PACKLINE_ERRORS(PACKLINE_TS_CONST)
#undef PACKLINE_TS_CONST
  return o.str();
}

constexpr const char* md_begin = "<!-- records: written by records_gen from panel/records.hpp and base/result.hpp; do not edit -->";
constexpr const char* md_end = "<!-- end of records -->";

std::string records_md() {
  std::ostringstream o;
  o << md_begin << "\n\n## Records\n\nWhat the calls above return and take, field by field (ids are hex strings,\n"
       "times milliseconds since the epoch).\n";
  std::apply([&](auto... t) { (md_record<decltype(t)>(o), ...); }, records::all{});
  o << "\n## Error codes\n\n| code | name | message |\n| --- | --- | --- |\n";
#define PACKLINE_MD_ERRC(name, number, message) o << "| " << number << " | `" #name "` | " << message << " |\n";
  PACKLINE_ERRORS(PACKLINE_MD_ERRC)
#undef PACKLINE_MD_ERRC
  o << "\n" << md_end << "\n";
  return o.str();
}

bool read(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

// API.md with its records part replaced (appended when it has none yet).
std::string api_md(const std::string& now) {
  auto b = now.find(md_begin), e = now.find(md_end);
  if (b == std::string::npos || e == std::string::npos || e < b) return now + "\n" + records_md();
  return now.substr(0, b) + records_md() + now.substr(e + std::string(md_end).size() + 1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc == 3 ? argv[1] : "";
  if (mode != "--write" && mode != "--check") {
    std::fprintf(stderr, "usage: records_gen --write ROOT | --check ROOT\n");
    return 2;
  }
  std::string root = argv[2];
  std::string ts_path = root + "/webapp/src/records.ts", md_path = root + "/client-core/wasm/API.md";
  std::string ts_now, md_now;
  read(ts_path, ts_now);
  if (!read(md_path, md_now)) {
    std::fprintf(stderr, "records_gen: cannot read %s\n", md_path.c_str());
    return 2;
  }
  std::string ts = records_ts(), md = api_md(md_now);
  if (mode == "--check") {
    int bad = 0;
    for (auto [path, now, want] : {std::tuple{ts_path, ts_now, ts}, std::tuple{md_path, md_now, md}})
      if (now != want) {
        std::fprintf(stderr, "records: %s differs from the records and error codes the core describes; run records_gen --write\n",
                     path.c_str());
        bad = 1;
      }
    if (!bad) std::printf("records: %s and %s match the core's records\n", ts_path.c_str(), md_path.c_str());
    return bad;
  }
  for (auto [path, text] : {std::pair{ts_path, ts}, std::pair{md_path, md}}) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) {
      std::fprintf(stderr, "records_gen: cannot write %s\n", path.c_str());
      return 2;
    }
  }
  std::printf("records_gen: wrote %s and %s\n", ts_path.c_str(), md_path.c_str());
  return 0;
}
