#include "fcgi_app/admission.h"

#include <algorithm>
#include <cmath>

namespace oj {

Response TooLarge() { return Response::Line(413, lines::kTooLarge); }

Response MissingField(const std::string& name) {
  return Response::Line(400, "[FAIL ✗] Missing field: " + name);
}

Response Malformed(const std::string& reason) {
  return Response::Line(400, "[FAIL ✗] Malformed upload: " + reason);
}

Response TooManyRequests(uint32_t retry_after_s) {
  Response r = Response::Line(
      429, "[FAIL ✗] Too many requests, retry in " + std::to_string(retry_after_s) + " s");
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

Response ServerBusy(uint32_t retry_after_s) {
  Response r =
      Response::Line(503, "[FAIL ✗] Server busy, retry in " + std::to_string(retry_after_s) + " s");
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

Response InternalError(const std::string& request_id) {
  return Response::Line(500,
                        "[FAIL ✗] Internal error, nothing was stored (ref " + request_id + ")");
}

Response Received(const std::string& id, SysTime at, bool late) {
  std::string line = "[SUCC ✓] Received " + id + " at " + FormatDisplayTime(at);
  if (late) line += " (late)";
  return Response::Line(200, line);
}

std::optional<Response> DecideIdentity(const UploadTarget& t) {
  // An invalid token learns nothing else: not whether the course or module exists.
  // A valid token names a course unknown to the server only by not being in it: the same
  // 403 as an unknown token, or a valid token would learn which courses exist.
  if (!t.token_found || !t.token_enabled) return Response::Line(403, lines::kInvalidToken);
  if (!t.course_found || t.student_course_id != t.course_id) {
    return Response::Line(403, lines::kInvalidToken);
  }
  if (!t.module) return Response::Line(404, lines::kUnknownTarget);
  return std::nullopt;
}

KeyedRetry DecideKeyedRetry(const std::optional<KeyedUpload>& earlier, uint32_t module_id,
                            const std::string& sha256) {
  if (!earlier) return KeyedRetry::kNew;
  if (earlier->module_id != module_id || earlier->sha256 != sha256) return KeyedRetry::kReused;
  return KeyedRetry::kReplay;
}

Response KeyReused() { return Response::Line(422, lines::kKeyReused); }

TargetDecision DecideTarget(const UploadTarget& t, SysTime now, uint64_t file_size) {
  TargetDecision d;
  d.reject = DecideIdentity(t);
  if (d.reject) return d;
  const ModuleRow& m = *t.module;
  if (m.closed) {
    SysTime since = m.closed_at.value_or(m.late_until.value_or(m.deadline));
    d.reject =
        Response::Line(403, "[FAIL ✗] " + m.code + " is closed since " + FormatDisplayTime(since));
    return d;
  }
  if (now < m.opens_at) {
    d.reject =
        Response::Line(403, "[FAIL ✗] " + m.code + " opens at " + FormatDisplayTime(m.opens_at));
    return d;
  }
  SysTime last = m.late_until ? std::max(*m.late_until, m.deadline) : m.deadline;
  if (now > last) {
    d.reject =
        Response::Line(403, "[FAIL ✗] " + m.code + " is closed since " + FormatDisplayTime(last));
    return d;
  }
  if (file_size > m.size_limit_bytes) {
    d.reject = TooLarge();
    return d;
  }
  d.late = now > m.deadline;
  return d;
}

std::optional<Response> DecideTokenRate(const RecentUploads& recent, SysTime now,
                                        const UploadConfig& cfg) {
  if (recent.count < cfg.token_limit) return std::nullopt;
  // Allowed again when the oldest upload in the window leaves it.
  auto window = std::chrono::seconds(cfg.token_window_s);
  SysTime oldest = recent.oldest.value_or(now);
  auto wait = std::chrono::duration_cast<std::chrono::seconds>(oldest + window - now).count();
  return TooManyRequests(
      static_cast<uint32_t>(std::clamp<long long>(wait + 1, 1, cfg.token_window_s)));
}

}  // namespace oj
