#include "core/nginx_render.h"

#include <filesystem>

namespace oj {

#include "nginx_template.inc"  // defines kNginxTemplate

const std::string& NginxTemplate() {
  static const std::string t(kNginxTemplate);
  return t;
}

Result<std::string> RenderTemplate(const std::string& tmpl,
                                   const std::map<std::string, std::string>& vars) {
  std::string out;
  out.reserve(tmpl.size() + 1024);
  size_t pos = 0;
  while (pos < tmpl.size()) {
    size_t open = tmpl.find("{{", pos);
    if (open == std::string::npos) {
      out.append(tmpl, pos, std::string::npos);
      break;
    }
    out.append(tmpl, pos, open - pos);
    size_t close = tmpl.find("}}", open + 2);
    if (close == std::string::npos) {
      return Status::InvalidArgument("template has an unclosed '{{' at offset " +
                                     std::to_string(open));
    }
    std::string name = tmpl.substr(open + 2, close - open - 2);
    auto it = vars.find(name);
    if (it == vars.end()) {
      return Status::InvalidArgument("template uses unknown placeholder '" + name + "'");
    }
    out += it->second;
    pos = close + 2;
  }
  return out;
}

std::map<std::string, std::string> NginxTemplateVars(const Config& c, bool run_as_root) {
  std::map<std::string, std::string> v;
  auto n = [](uint64_t x) { return std::to_string(x); };
  v["config_path"] = c.source_path.empty() ? "defaults" : c.source_path;
  // Workers never run as root: a master started as root (the development stack) hands them
  // to server.nginx_user in server.nginx_group, the group that may reach the pool's socket.
  v["user_line"] =
      run_as_root ? "user " + c.server.nginx_user + " " + c.server.nginx_group + ";" : "";
  v["nginx_workers"] = n(c.server.nginx_workers);
  v["worker_connections"] = n(c.server.nginx_worker_connections);
  v["run_dir"] = c.paths.run_dir;
  v["log_dir"] = c.paths.log_dir;
  v["nginx_dir"] = (std::filesystem::path(c.paths.var_dir) / "nginx").string();
  v["assets_dir"] = c.paths.assets_dir;
  v["client_body_timeout"] = n(c.upload.client_body_timeout_s);
  v["max_body_bytes"] = n(c.upload.max_body_bytes);
  v["upload_rps"] = n(c.rate.upload_per_ip_rps);
  v["upload_burst"] = n(c.rate.upload_burst);
  v["page_rps"] = n(c.rate.page_per_ip_rps);
  v["page_burst"] = n(c.rate.page_burst);
  v["conn_per_ip"] = n(c.rate.conn_per_ip);
  v["retry_after_rate"] = n(c.rate.retry_after_s);
  v["retry_after_busy"] = n(c.upload.retry_after_s);
  v["fcgi_socket"] = c.fcgi.socket;
  v["fcgi_timeout"] = n(c.fcgi.request_timeout_s);
  v["listen"] = c.server.listen;
  v["port"] = n(c.server.port);
  std::string allow;
  for (const std::string& a : c.server.metrics_allow) allow += "      allow " + a + ";\n";
  if (!allow.empty()) allow.pop_back();
  v["metrics_allow"] = allow;
  std::string archive_allow;
  for (const std::string& a : c.server.archive_allow) archive_allow += "      allow " + a + ";\n";
  if (!archive_allow.empty()) archive_allow.pop_back();
  v["archive_allow"] = archive_allow;
  v["keys_dir"] = c.paths.keys_dir;
  v["storage_dir"] = c.paths.storage_dir;
  std::string cache;
  if (c.rate.microcache_s > 0) {
    // One app request per URI per second; concurrent misses wait briefly on a lock and
    // stale entries are served while one request refreshes them. Lock waiters re-check
    // only when their timeout fires (at most every 500 ms), so the timeout is what a
    // cold burst waits: 50 ms, well above the app's few ms per page.
    // No background update: the first request after expiry must get fresh data (and
    // its ETag), or a client that revalidates right after a change would be handed
    // the stale copy, then the new one, and never a 304. Stale copies go only to the
    // requests that arrive while one request is refreshing the entry.
    cache =
        "      fastcgi_cache oj_pages;\n"
        "      fastcgi_cache_key $request_uri;\n"
        "      fastcgi_cache_valid 200 404 " +
        n(c.rate.microcache_s) +
        "s;\n"
        "      fastcgi_cache_lock on;\n"
        "      fastcgi_cache_lock_timeout 50ms;\n"
        "      fastcgi_cache_lock_age 1s;\n"
        "      fastcgi_cache_use_stale updating error timeout http_500 http_503;\n"
        "      fastcgi_ignore_headers Cache-Control Expires Set-Cookie;\n"
        "      add_header X-Cache $upstream_cache_status always;";
  } else {
    cache = "      # microcache disabled (rate.microcache_s = 0)";
  }
  v["cache_block"] = cache;
  return v;
}

Result<std::string> RenderNginxConfig(const Config& c, bool run_as_root) {
  return RenderTemplate(NginxTemplate(), NginxTemplateVars(c, run_as_root));
}

}  // namespace oj
