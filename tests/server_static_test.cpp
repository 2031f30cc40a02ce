// Server pieces without sockets: static file resolution for the webapp,
// command-line options, the structured log line and the metrics text.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "app.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "static_files.hpp"
#include "support/server_fixture.hpp"
#include "support/server_process.hpp"
#include "support/sync_client.hpp"

using namespace packline;
using namespace packline::server;

namespace {
void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}
}  // namespace

TEST_CASE("server static: content types of the built webapp") {
  CHECK(content_type_for("index.html") == "text/html; charset=utf-8");
  CHECK(content_type_for("/core/packline_core.wasm") == "application/wasm");
  CHECK(content_type_for("/core/packline_core.mjs") == "text/javascript; charset=utf-8");
  CHECK(content_type_for("/assets/index-3f2a.js") == "text/javascript; charset=utf-8");
  CHECK(content_type_for("/manifest.webmanifest") == "application/manifest+json");
  CHECK(content_type_for("/assets/app.CSS") == "text/css; charset=utf-8");
  CHECK(content_type_for("/icon.svg") == "image/svg+xml");
  CHECK(content_type_for("/blob") == "application/octet-stream");
}

TEST_CASE("server static: target paths are decoded and never escape the root") {
  CHECK(decode_target_path("/") == "/");
  CHECK(decode_target_path("/a%20b.txt?x=1#f") == "/a b.txt");
  CHECK(decode_target_path("/../etc/passwd").empty());
  CHECK(decode_target_path("/assets/%2e%2e/%2e%2e/etc/passwd").empty());
  CHECK(decode_target_path("/a/./b").empty());
  CHECK(decode_target_path("/a%00b").empty());
  CHECK(decode_target_path("/a\\b").empty());
  CHECK(decode_target_path("/bad%4").empty());
  CHECK(decode_target_path("relative").empty());
  CHECK(decode_target_path("/ok..name") == "/ok..name");
  // A second slash would make the rest an absolute path when joined.
  CHECK(decode_target_path("//etc/passwd").empty());
  CHECK(decode_target_path("/a//b").empty());
  CHECK(decode_target_path("/%2Fetc%2Fpasswd").empty());
  CHECK(decode_target_path("/%2fetc").empty());
  CHECK(decode_target_path("/%5Cetc").empty());
  CHECK(decode_target_path("/%2E%2E/x").empty());
  CHECK(decode_target_path("/.%2e/x").empty());
  CHECK(decode_target_path("/.env").empty());
  CHECK(decode_target_path("/a%0ab").empty());
  CHECK(decode_target_path("/" + std::string(2000, 'a')).empty());
  CHECK(decode_target_path("/assets/") == "/assets/");
}

TEST_CASE("server static: index fallback and cache policy") {
  test::temp_dir tmp;
  std::string root = tmp.sub("dist");
  write_file(root + "/index.html", "<!doctype html>");
  write_file(root + "/sw.js", "self.x=1");
  write_file(root + "/assets/index-abc.js", "x");
  write_file(root + "/core/packline_core.wasm", "\0asm");
  write_file(root + "/docs/index.html", "docs");

  auto idx = resolve_static(root, "/");
  REQUIRE(idx);
  CHECK(idx->path == root + "/index.html");
  CHECK(idx->content_type == "text/html; charset=utf-8");
  CHECK(idx->cache_control == "no-cache");
  CHECK(resolve_static(root, "/index.html")->cache_control == "no-cache");
  CHECK(resolve_static(root, "/sw.js")->cache_control == "no-cache");
  CHECK(resolve_static(root, "/assets/index-abc.js")->cache_control.find("immutable") != std::string::npos);
  CHECK(resolve_static(root, "/core/packline_core.wasm")->content_type == "application/wasm");
  CHECK(resolve_static(root, "/docs/")->path == root + "/docs/index.html");
  // Client-side routes get the app shell; missing files with an extension are 404.
  CHECK(resolve_static(root, "/meetings/abc")->path == root + "/index.html");
  CHECK_FALSE(resolve_static(root, "/missing.js"));
  CHECK_FALSE(resolve_static(root, "/../secret"));
  CHECK_FALSE(resolve_static(tmp.sub("nowhere"), "/"));
  // Symlinks out of the root: the real path decides, and no app shell either.
  write_file(tmp.sub("secret.txt"), "secret");
  std::filesystem::create_symlink(tmp.sub("secret.txt"), root + "/leak.txt");
  std::filesystem::create_symlink(tmp.sub("secret.txt"), root + "/leak");
  std::filesystem::create_symlink(tmp.path(), root + "/up");
  CHECK_FALSE(resolve_static(root, "/leak.txt"));
  CHECK_FALSE(resolve_static(root, "/leak"));
  CHECK_FALSE(resolve_static(root, "/up/secret.txt"));
  CHECK_FALSE(resolve_static(root, "//" + tmp.sub("secret.txt")));
}

TEST_CASE("server static: precompressed copies by Accept-Encoding, and ETags that follow the file") {
  test::temp_dir tmp;
  std::string root = tmp.sub("dist");
  write_file(root + "/core/packline_core.wasm", "WASM");
  write_file(root + "/core/packline_core.wasm.br", "BR");
  write_file(root + "/core/packline_core.wasm.gz", "GZ");
  write_file(root + "/index.html", "<!doctype html>");
  write_file(root + "/index.html.gz", "GZ");
  auto plain = resolve_static(root, "/core/packline_core.wasm");
  REQUIRE(plain);
  CHECK(plain->encoding.empty());
  CHECK(plain->path == root + "/core/packline_core.wasm");
  auto br = resolve_static(root, "/core/packline_core.wasm", "gzip, deflate, br");
  REQUIRE(br);
  CHECK(br->encoding == "br");
  CHECK(br->path == root + "/core/packline_core.wasm.br");
  CHECK(br->content_type == "application/wasm");  // of the file, not of its copy
  auto gz = resolve_static(root, "/core/packline_core.wasm", "gzip, deflate");
  REQUIRE(gz);
  CHECK(gz->encoding == "gzip");
  // q=0 refuses a coding; no copy means the file as it is.
  CHECK(resolve_static(root, "/core/packline_core.wasm", "br;q=0, gzip;q=0.5")->encoding == "gzip");
  CHECK(resolve_static(root, "/core/packline_core.wasm", "br;q=0.0, gzip;q=0")->encoding.empty());
  CHECK(resolve_static(root, "/index.html", "br")->encoding.empty());
  CHECK(resolve_static(root, "/", "gzip")->encoding == "gzip");
  // Each variant has its own ETag; changing the file changes it.
  CHECK(plain->etag != br->etag);
  CHECK(br->etag != gz->etag);
  CHECK(plain->etag.rfind("W/\"", 0) == 0);
  write_file(root + "/core/packline_core.wasm", "WASM, rebuilt");
  CHECK(resolve_static(root, "/core/packline_core.wasm")->etag != plain->etag);
  // A copy that is a symlink out of the root is never read.
  write_file(tmp.sub("secret"), "secret");
  write_file(root + "/app.js", "x");
  std::filesystem::create_symlink(tmp.sub("secret"), root + "/app.js.br");
  CHECK_FALSE(resolve_static(root, "/app.js", "br"));
  CHECK(resolve_static(root, "/app.js", "gzip"));

  CHECK(accepts_encoding("gzip, deflate, br", "br"));
  CHECK(accepts_encoding("GZIP", "gzip"));
  CHECK(accepts_encoding(" br ; q=0.8 ", "br"));
  CHECK_FALSE(accepts_encoding("br;q=0", "br"));
  CHECK_FALSE(accepts_encoding("br;q=0.000", "br"));
  CHECK_FALSE(accepts_encoding("gzip", "br"));
  CHECK_FALSE(accepts_encoding("", "gzip"));
  CHECK_FALSE(accepts_encoding("xbr, brx", "br"));
  CHECK(etag_matches("W/\"a-b\"", "W/\"a-b\""));
  CHECK(etag_matches("\"x\", W/\"a-b\"", "W/\"a-b\""));
  CHECK(etag_matches("\"a-b\"", "W/\"a-b\""));  // weak comparison
  CHECK(etag_matches("*", "W/\"a-b\""));
  CHECK_FALSE(etag_matches("W/\"a-c\"", "W/\"a-b\""));
  CHECK_FALSE(etag_matches("", "W/\"a-b\""));
}

TEST_CASE("server static: the real server answers 304 for an unchanged file and sends precompressed copies") {
  test::temp_dir web;
  write_file(web.sub("index.html"), "<!doctype html><title>shell</title>");
  write_file(web.sub("core/packline_core.wasm"), std::string(4096, 'w'));
  write_file(web.sub("core/packline_core.wasm.gz"), "GZIPPED");
  write_file(web.sub("assets/index-abc.js"), "console.log(1)");
  test::server_fixture f({"--webapp", web.path()});
  net::endpoint wasm{false, "127.0.0.1", f.port(), "/core/packline_core.wasm"};
  auto first = net::http_request(wasm);
  REQUIRE(first.status == 200);
  CHECK(first.body.size() == 4096);
  CHECK(first.headers.count("content-encoding") == 0);
  CHECK(first.headers["vary"] == "Accept-Encoding");
  const std::string etag = first.headers["etag"];
  REQUIRE_FALSE(etag.empty());
  // Revalidation of an unchanged file: 304 with no body, headers kept.
  auto again = net::http_request(wasm, "GET", {}, {{"If-None-Match", etag}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(again.headers["etag"] == etag);
  CHECK(again.headers.count("content-security-policy") == 1);
  // The gzip copy when the browser takes it, with its own ETag.
  auto gz = net::http_request(wasm, "GET", {}, {{"Accept-Encoding", "gzip, deflate"}});
  CHECK(gz.status == 200);
  CHECK(gz.body == "GZIPPED");
  CHECK(gz.headers["content-encoding"] == "gzip");
  CHECK(gz.headers["content-type"] == "application/wasm");
  CHECK(gz.headers["etag"] != etag);
  CHECK(net::http_request(wasm, "GET", {}, {{"Accept-Encoding", "gzip"}, {"If-None-Match", etag}}).status == 200);
  // A deploy that changes the file: the old ETag no longer matches.
  write_file(web.sub("core/packline_core.wasm"), std::string(4097, 'w'));
  std::filesystem::remove(web.sub("core/packline_core.wasm.gz"));
  auto changed = net::http_request(wasm, "GET", {}, {{"If-None-Match", etag}});
  CHECK(changed.status == 200);
  CHECK(changed.body.size() == 4097);
  // Hashed assets are immutable; the shell is revalidated.
  auto asset = net::http_request(net::endpoint{false, "127.0.0.1", f.port(), "/assets/index-abc.js"});
  CHECK(asset.headers["cache-control"].find("immutable") != std::string::npos);
  auto shell = net::http_request(net::endpoint{false, "127.0.0.1", f.port(), "/"});
  CHECK(shell.headers["cache-control"] == "no-cache");
  CHECK(net::http_request(net::endpoint{false, "127.0.0.1", f.port(), "/"}, "GET", {},
                          {{"If-None-Match", shell.headers["etag"]}})
            .status == 304);
}

TEST_CASE("server options: defaults, flags and errors") {
  auto d = parse_options({});
  REQUIRE(d.ok());
  CHECK(d->port == 8080);
  CHECK(d->host == "127.0.0.1");
  CHECK(d->data_dir == "packline-data");
  CHECK_FALSE(d->demo);

  auto o = parse_options({"--port", "0", "--host=0.0.0.0", "--data", "/tmp/x", "--webapp", "w", "--demo",
                          "--log-level", "warn"});
  REQUIRE(o.ok());
  CHECK(o->port == 0);
  CHECK(o->host == "0.0.0.0");
  CHECK(o->data_dir == "/tmp/x");
  CHECK(o->webapp_dir == "w");
  CHECK(o->demo);
  CHECK(o->level == log_level::warn);

  CHECK_FALSE(parse_options({"--port", "70000"}).ok());
  CHECK_FALSE(parse_options({"--port", "8o"}).ok());
  CHECK_FALSE(parse_options({"--port"}).ok());
  CHECK_FALSE(parse_options({"--bogus"}).ok());
  CHECK(parse_options({"--help"})->help);
  CHECK(parse_options({"--version"})->version);
}

TEST_CASE("server log: one structured line with quoted values") {
  auto line = format_log_line(log_level::warn, "protocol error",
                              {{"code", 5u}, {"text", "bad \"sig\"\nnext"}, {"peer", "1.2.3.4:5"}});
  CHECK(line.rfind("ts=", 0) == 0);
  CHECK(line.find(" level=warn msg=\"protocol error\" code=5 text=\"bad \\\"sig\\\"\\nnext\" peer=1.2.3.4:5") !=
        std::string::npos);
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("server metrics: Prometheus text with connections, changes and errors by code") {
  metrics m;
  m.connections = 2;
  m.changes_in += 5;
  m.changes_out += 7;
  m.count_error(5);
  m.count_error(5);
  m.count_error(1);
  m.count_error(99);
  auto text = m.render();
  CHECK(text.find("\npackline_connections 2\n") != std::string::npos);
  CHECK(text.find("\npackline_stored_changes_total 5\n") != std::string::npos);
  CHECK(text.find("\npackline_sent_changes_total 7\n") != std::string::npos);
  CHECK(text.find("packline_errors_total{code=\"5\",name=\"bad_signature\"} 2\n") != std::string::npos);
  CHECK(text.find("packline_errors_total{code=\"1\",name=\"malformed\"} 1\n") != std::string::npos);
  CHECK(text.find("packline_errors_total{code=\"0\",name=\"other\"} 1\n") != std::string::npos);
  CHECK(text.find("packline_errors_total{code=\"13\",name=\"revoked\"} 0\n") != std::string::npos);
  CHECK(text.find("packline_build_info{version=\"" PACKLINE_VERSION "\"} 1\n") != std::string::npos);
  // The process's own figures, read from /proc.
  CHECK(test::metric(text, "process_resident_memory_bytes") > 1000000);
  CHECK(test::metric(text, "process_open_fds") >= 3);
  CHECK(test::metric(text, "process_max_fds") >= test::metric(text, "process_open_fds"));
  CHECK(text.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
}

TEST_CASE("server metrics: latency histograms count each observation in its bucket and every one above") {
  metrics m;
  m.push_seconds.observe(0.0003);  // first bucket
  m.push_seconds.observe(0.003);   // le=0.005 and up
  m.push_seconds.observe(20);      // only +Inf
  auto text = m.render();
  CHECK(text.find("# TYPE packline_push_seconds histogram\n") != std::string::npos);
  CHECK(text.find("packline_push_seconds_bucket{le=\"0.0005\"} 1\n") != std::string::npos);
  CHECK(text.find("packline_push_seconds_bucket{le=\"0.0025\"} 1\n") != std::string::npos);
  CHECK(text.find("packline_push_seconds_bucket{le=\"0.005\"} 2\n") != std::string::npos);
  CHECK(text.find("packline_push_seconds_bucket{le=\"10\"} 2\n") != std::string::npos);
  CHECK(text.find("packline_push_seconds_bucket{le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("packline_push_seconds_sum 20.0033\n") != std::string::npos);
  CHECK(text.find("packline_push_seconds_count 3\n") != std::string::npos);
  CHECK(text.find("packline_pull_seconds_count 0\n") != std::string::npos);
}

TEST_CASE("server log: JSON lines are one object each, numbers bare and strings escaped") {
  auto line = format_log_line(log_level::warn, "protocol error",
                              {{"code", 5u}, {"text", "bad \"sig\"\nnext\x01"}, {"ok", true}}, log_format::json);
  CHECK(line.rfind("{\"ts\":\"", 0) == 0);
  CHECK(line.find("\"level\":\"warn\",\"msg\":\"protocol error\",\"code\":5,"
                  "\"text\":\"bad \\\"sig\\\"\\nnext\\u0001\",\"ok\":true}") != std::string::npos);
  CHECK(line.back() == '}');
  CHECK(line.find('\n') == std::string::npos);
  CHECK(parse_options({"--log-format", "json"})->format == log_format::json);
  CHECK_FALSE(parse_options({"--log-format", "xml"}).ok());
}
