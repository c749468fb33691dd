#include "core/outage.h"

#include <algorithm>
#include <map>

namespace oj {

int64_t MinuteOf(SysTime t) {
  int64_t s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return s >= 0 ? s / 60 : (s - 59) / 60;
}

SysTime MinuteStart(int64_t minute) { return SysTime{} + std::chrono::seconds(minute * 60); }

bool MinuteUnavailable(const MinuteSample& m, const LedgerConfig& rule) {
  if (m.probes_failed > 0 && m.probes > 0) {
    double pct = 100.0 * m.probes_failed / m.probes;
    if (pct > rule.probe_fail_percent) return true;
  }
  if (m.uploads_5xx > 0 && m.uploads >= rule.upload_min_requests) {
    double pct = 100.0 * m.uploads_5xx / m.uploads;
    if (pct >= rule.upload_5xx_percent) return true;
  }
  return false;
}

std::vector<Incident> MergeIncidents(std::vector<MinuteSample> samples, const LedgerConfig& rule,
                                     std::optional<int64_t> latest_minute, SysTime now,
                                     uint32_t settle_s) {
  std::map<int64_t, MinuteSample> by_minute;
  for (const MinuteSample& s : samples) {
    auto [it, fresh] = by_minute.emplace(s.minute, s);
    if (fresh) continue;
    MinuteSample& m = it->second;
    m.probes = std::max(m.probes, s.probes);
    m.probes_failed = std::max(m.probes_failed, s.probes_failed);
    m.uploads = std::max(m.uploads, s.uploads);
    m.uploads_5xx = std::max(m.uploads_5xx, s.uploads_5xx);
  }
  std::vector<Incident> out;
  for (const auto& [minute, m] : by_minute) {
    if (!MinuteUnavailable(m, rule)) continue;
    if (!out.empty() && out.back().end_minute == minute) {
      out.back().end_minute = minute + 1;
    } else {
      out.push_back(Incident{minute, minute + 1, false});
    }
  }
  for (Incident& i : out) {
    bool seen_after = latest_minute && *latest_minute >= i.end_minute;
    i.over = seen_after && now >= i.end() + std::chrono::seconds(settle_s);
  }
  return out;
}

std::optional<GracePolicy> ParseGracePolicy(std::string_view s) {
  if (s == "off") return GracePolicy::kOff;
  if (s == "suggest") return GracePolicy::kSuggest;
  if (s == "auto") return GracePolicy::kAuto;
  return std::nullopt;
}

const char* GracePolicyName(GracePolicy p) {
  switch (p) {
    case GracePolicy::kOff:
      return "off";
    case GracePolicy::kSuggest:
      return "suggest";
    case GracePolicy::kAuto:
      return "auto";
  }
  return "?";
}

GraceAction DecideGrace(const GraceInput& in) {
  if (in.policy == GracePolicy::kOff || in.module_closed || in.already_decided) {
    return GraceAction::kNone;
  }
  const Incident& i = in.incident;
  if (!i.over || i.minutes() == 0) return GraceAction::kNone;
  if (in.deadline < i.start()) return GraceAction::kNone;
  if (in.deadline > i.end() + std::chrono::seconds(in.window_s)) return GraceAction::kNone;
  return in.policy == GracePolicy::kAuto ? GraceAction::kExtend : GraceAction::kSuggest;
}

std::optional<SysTime> DecideLateAccept(const LateAcceptInput& in) {
  if (in.late_accept_s == 0 || !in.refused_at || in.stored_since_refusal) return std::nullopt;
  if (*in.refused_at >= in.deadline) return std::nullopt;
  if (in.now <= in.deadline) return std::nullopt;  // on time anyway
  if (in.now > in.deadline + std::chrono::seconds(in.late_accept_s)) return std::nullopt;
  return in.refused_at;
}

bool LateAcceptCandidate(const UploadTarget& t, SysTime now, uint64_t file_size,
                         uint32_t late_accept_s) {
  if (late_accept_s == 0) return false;
  if (!t.token_found || !t.token_enabled || !t.course_found) return false;
  if (t.student_course_id != t.course_id || !t.module) return false;
  const ModuleRow& m = *t.module;
  if (m.closed || now < m.opens_at || file_size > m.size_limit_bytes) return false;
  return now > m.deadline && now <= m.deadline + std::chrono::seconds(late_accept_s);
}

std::string FormatMinutesLost(uint32_t minutes) {
  return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
}

}  // namespace oj
