// Maps request targets to files of the built webapp (Vite's dist folder):
// safe path resolution, content types and cache policy. Pure functions on
// strings and the file system; no networking, so they are unit-testable.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace packline::server {

struct static_file {
  std::string path;           // the file to send: a precompressed copy when `encoding` is set
  std::string content_type;   // of the original file
  std::string cache_control;
  std::string encoding;       // "br", "gzip" or empty (Content-Encoding)
  std::string etag;           // W/"size-mtime[-encoding]": a deploy that changes a file changes it
};

// The URL path of a target: query and fragment removed, %XX decoded. Empty
// when the target is unsafe (not absolute, "..", NUL, backslash, bad escape).
std::string decode_target_path(std::string_view target);

// Content type for a file name (by extension); application/octet-stream if unknown.
std::string_view content_type_for(std::string_view file_name);

// no-cache for the app shell (index.html, sw.js, manifest) so a deploy is seen
// at the next load (revalidated by ETag: unchanged files answer 304);
// long-lived and immutable for Vite's content-hashed assets/.
std::string_view cache_control_for(std::string_view url_path);

// Headers every HTTP response carries (the app, its files, errors, metrics):
// a Content-Security-Policy that fits the webapp (its own scripts, workers
// and WASM, which needs 'wasm-unsafe-eval'; connections to its own origin;
// never framed), no MIME sniffing, no referrer leaving the origin.
struct header {
  std::string_view name, value;
};
const std::array<header, 4>& security_headers();

// The file for a GET of `target` under `root`: "/" and directories serve
// their index.html; a missing path without an extension serves the root
// index.html (client-side routes); nullopt means 404. When the browser's
// Accept-Encoding takes brotli or gzip and the build left a FILE.br or
// FILE.gz beside the file, that copy is chosen.
std::optional<static_file> resolve_static(const std::string& root, std::string_view target,
                                          std::string_view accept_encoding = {});

// Whether an Accept-Encoding header value takes `coding` (q=0 means no).
bool accepts_encoding(std::string_view accept_encoding, std::string_view coding);

// Whether an If-None-Match header value names `etag` (weak comparison, "*").
bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace packline::server
