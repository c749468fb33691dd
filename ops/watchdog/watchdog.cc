#include "ops/watchdog/watchdog.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/clock.h"
#include "core/fs.h"
#include "core/log.h"
#include "ops/watchdog/spawn.h"

namespace oj::watchdog {
namespace {

DeliveryConfig DeliveryFrom(const WatchdogConfig& w) {
  DeliveryConfig d;
  d.webhook_url = w.webhook_url;
  d.webhook_template = w.webhook_template;
  d.sendmail_to = w.sendmail_to;
  d.command = w.command;
  d.timeout = std::chrono::milliseconds(w.delivery_timeout_ms);
  return d;
}

void LogDelivery(const DeliveryEvent& e) {
  if (e.ok) {
    spdlog::info("delivered {} {} via {} (attempt {})", e.check, e.state, e.sink, e.attempt);
  } else if (e.gave_up) {
    spdlog::error("gave up delivering {} {} via {} after attempt {}: {}", e.check, e.state, e.sink,
                  e.attempt, e.error);
  } else {
    spdlog::warn("delivering {} {} via {} failed (attempt {}), will retry: {}", e.check, e.state,
                 e.sink, e.attempt, e.error);
  }
}

std::string HostName() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

}  // namespace

Status ValidateWatchdogConfig(const Config& cfg) {
  if (!cfg.watchdog.webhook_url.empty()) {
    Status s = ValidateTemplate(cfg.watchdog.webhook_template);
    if (!s.ok())
      return Status::InvalidArgument("config key 'watchdog.webhook_template': " + s.message());
    if (!cfg.watchdog.webhook_url.starts_with("http://") &&
        !cfg.watchdog.webhook_url.starts_with("https://")) {
      return Status::InvalidArgument(
          "config key 'watchdog.webhook_url' must start with http:// or https://");
    }
  }
  return Status::Ok();
}

Watchdog::Watchdog(const Config& cfg) : host_(HostName()) { Apply(cfg); }

Watchdog::~Watchdog() {
  if (notifier_) notifier_->Stop();
  for (auto& [check, pid] : running_actions_) {
    int st = 0;
    if (!ReapIfDone(pid, &st))
      spdlog::info("action for {} (pid {}) still running at exit", check, pid);
  }
}

void Watchdog::Apply(const Config& cfg) {
  cfg_ = cfg;
  checker_ = std::make_unique<Checker>(cfg_);
  keeper_ = std::make_unique<OutageKeeper>(cfg_, keeper_ ? keeper_->current() : MinuteSample{});
  if (canary_) {
    canary_->Reconfigure(cfg_);
  } else {
    canary_ = std::make_unique<CanaryProber>(cfg_);
  }
  events_ = std::make_unique<EventChecker>(cfg_);  // a reload takes a new baseline
  status_path_ = cfg_.paths.run_dir + "/watchdog.status.json";
}

Status Watchdog::Start() {
  notifier_ = std::make_unique<Notifier>(DeliveryFrom(cfg_.watchdog), LogDelivery);
  return notifier_->Start();
}

void Watchdog::Run(const std::string& config_path, std::atomic<bool>* stop,
                   std::atomic<bool>* reload) {
  using namespace std::chrono;
  while (!stop->load()) {
    auto start = steady_clock::now();
    if (reload->exchange(false)) {
      auto c = LoadConfig(config_path);
      Status v = c.ok() ? ValidateWatchdogConfig(*c) : c.status();
      if (!v.ok()) {
        spdlog::error("reload refused, keeping the running configuration: {}", v.message());
      } else {
        notifier_->Stop();
        Apply(*c);
        Status s = Start();
        if (!s.ok()) spdlog::error("restarting delivery after reload: {}", s.message());
        spdlog::info("configuration reloaded from {}", config_path);
      }
    }
    RunCycle();
    auto next = start + seconds(cfg_.watchdog.interval_s);
    while (!stop->load() && !reload->load() && steady_clock::now() < next) {
      std::this_thread::sleep_for(
          std::min<steady_clock::duration>(milliseconds(100), next - steady_clock::now()));
    }
  }
}

void Watchdog::RunCycle() {
  auto t0 = Clock::now();
  std::vector<Sample> samples = checker_->RunAll();
  canary_->Run(&samples);
  events_->RunAll(&samples);
  auto now = Clock::now();
  for (const Sample& s : samples) Handle(s, now);
  for (const Alert& a : keeper_->Cycle(checker_->last_probe_ok(), checker_->last_http(),
                                       std::chrono::system_clock::now(), host_)) {
    spdlog::warn("{}", AlertText(a));
    if (notifier_->HasSinks()) notifier_->Enqueue(a);
  }
  ReapActions();
  ++cycles_;
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  WriteStatus(samples, ms);
}

void Watchdog::Handle(const Sample& s, Clock::time_point now) {
  AlertTiming timing{std::chrono::seconds(cfg_.watchdog.for_s),
                     std::chrono::seconds(cfg_.watchdog.repeat_s)};
  CheckState& st = states_[s.check];
  AlertState before = st.state;
  Transition t = s.event
                     ? StepEvent(st, s.obs, now, std::chrono::seconds(cfg_.watchdog.event_quiet_s),
                                 timing.repeat)
                     : Step(st, s.obs, now, timing);
  st = t.next;
  if (st.state != before) {
    spdlog::info("check {}: {} -> {} ({})", s.check, StateName(before), StateName(st.state),
                 s.detail);
  }
  if (t.notify == Notify::kNone) return;
  Alert a{s.check,
          std::string(NotifyName(t.notify)),
          s.detail,
          s.value,
          s.threshold,
          host_,
          FormatIso8601(std::chrono::system_clock::now())};
  spdlog::warn("{}", AlertText(a));
  if (notifier_->HasSinks()) notifier_->Enqueue(a);
  if (t.notify == Notify::kFiring || t.notify == Notify::kRepeat) MaybeAct(s, now);
}

void Watchdog::MaybeAct(const Sample& s, Clock::time_point now) {
  if (cfg_.watchdog.action_command.empty()) return;
  if (running_actions_.count(s.check)) return;
  auto last = last_action_.find(s.check);
  if (last != last_action_.end() &&
      now - last->second < std::chrono::seconds(cfg_.watchdog.action_cooldown_s)) {
    spdlog::info("action for {} skipped: cool-down", s.check);
    return;
  }
  auto pid = SpawnBackground({"/bin/sh", "-c", cfg_.watchdog.action_command},
                             {{"OJ_ALERT_CHECK", s.check}, {"OJ_ALERT_MESSAGE", s.detail}});
  last_action_[s.check] = now;
  if (!pid.ok()) {
    spdlog::error("action for {} did not start: {}", s.check, pid.status().message());
    return;
  }
  running_actions_[s.check] = *pid;
  spdlog::info("action for {} started (pid {})", s.check, *pid);
}

void Watchdog::ReapActions() {
  for (auto it = running_actions_.begin(); it != running_actions_.end();) {
    int st = 0;
    if (ReapIfDone(it->second, &st)) {
      spdlog::info("action for {} (pid {}) ended with wait status {}", it->first, it->second, st);
      it = running_actions_.erase(it);
    } else {
      ++it;
    }
  }
}

void Watchdog::WriteStatus(const std::vector<Sample>& samples, double cycle_ms) {
  nlohmann::json j;
  j["pid"] = getpid();
  j["cycle"] = cycles_;
  j["at"] =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  j["cycle_ms"] = cycle_ms;
  j["delivery_dropped"] = notifier_ ? notifier_->dropped() : 0;
  nlohmann::json checks = nlohmann::json::object();
  for (const Sample& s : samples) {
    checks[s.check] = {{"state", StateName(states_[s.check].state)},
                       {"observation", s.obs == Observation::kOk     ? "ok"
                                       : s.obs == Observation::kOver ? "over"
                                                                     : "unknown"},
                       {"value", s.value},
                       {"threshold", s.threshold},
                       {"detail", s.detail},
                       {"kind", s.event ? "event" : "state"}};
  }
  j["checks"] = std::move(checks);
  const MinuteSample& m = keeper_->current();
  j["ledger"] = {
      {"minute", m.minute},   {"probes", m.probes},           {"probes_failed", m.probes_failed},
      {"uploads", m.uploads}, {"uploads_5xx", m.uploads_5xx}, {"error", keeper_->last_error()}};
  // No fsync: under the io pressure this daemon reports, the cycle must not wait on
  // the disk. A torn file is impossible (rename); a lost one is rewritten next cycle.
  std::string tmp = status_path_ + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return;
  std::string text = j.dump(1) + "\n";
  if (WriteAll(fd.get(), text.data(), text.size()).ok()) {
    fd.reset();
    std::rename(tmp.c_str(), status_path_.c_str());
  }
}

}  // namespace oj::watchdog
