// One-line structured logs to stderr: `ts=... level=info msg="..." key=value`,
// or one JSON object per line (`--log-format json`) for log collectors.
// Each line is written with one fwrite so lines from different threads never
// interleave (stdio locks the stream per call).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace packline::server {

enum class log_level { debug, info, warn, error };
enum class log_format { text, json };

// A key=value field. Values are quoted when they contain spaces, quotes or '='
// (text), and numbers and booleans stay unquoted in JSON.
struct log_field {
  std::string_view key;
  std::string value;
  bool bare = false;  // a number or boolean
  log_field(std::string_view k, std::string_view v) : key(k), value(v) {}
  log_field(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  log_field(std::string_view k, const std::string& v) : key(k), value(v) {}
  log_field(std::string_view k, std::uint64_t v) : key(k), value(std::to_string(v)), bare(true) {}
  log_field(std::string_view k, std::int64_t v) : key(k), value(std::to_string(v)), bare(true) {}
  log_field(std::string_view k, unsigned v) : key(k), value(std::to_string(v)), bare(true) {}
  log_field(std::string_view k, int v) : key(k), value(std::to_string(v)), bare(true) {}
  log_field(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), bare(true) {}
};

// Lines below this level are dropped; the format is text or JSON (both set
// once at start-up).
void set_log_level(log_level min);
void set_log_format(log_format f);

void log(log_level lvl, std::string_view msg, std::initializer_list<log_field> fields = {});

// The formatted line without the trailing newline (exposed for tests).
std::string format_log_line(log_level lvl, std::string_view msg,
                            std::initializer_list<log_field> fields,
                            log_format f = log_format::text);

}  // namespace packline::server
