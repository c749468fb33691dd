#include "ops/watchdog/delivery.h"

#include <signal.h>

#include <algorithm>
#include <cstring>

#include "core/http_client.h"
#include "ops/watchdog/spawn.h"

namespace oj::watchdog {

std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max) {
  if (attempt < 1) attempt = 1;
  auto d = initial;
  for (int i = 1; i < attempt && d < max; ++i) d *= 2;
  return std::min(d, max);
}

Notifier::Notifier(DeliveryConfig cfg, std::function<void(const DeliveryEvent&)> on_event)
    : cfg_(std::move(cfg)), on_event_(std::move(on_event)) {}

Notifier::~Notifier() { Stop(); }

bool Notifier::HasSinks() const {
  return !cfg_.webhook_url.empty() || !cfg_.sendmail_to.empty() || !cfg_.command.empty();
}

uint64_t Notifier::dropped() const {
  std::lock_guard<std::mutex> l(mu_);
  return dropped_;
}

Status Notifier::Start() {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  int rc = pthread_create(&thread_, &attr, &Notifier::ThreadMain, this);
  pthread_attr_destroy(&attr);
  if (rc != 0) return Status::Internal(std::string("pthread_create: ") + std::strerror(rc));
  started_ = true;
  return Status::Ok();
}

void Notifier::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (started_) {
    pthread_join(thread_, nullptr);
    started_ = false;
  }
}

void Notifier::Enqueue(const Alert& a) {
  std::vector<Sink> sinks;
  if (!cfg_.webhook_url.empty()) sinks.push_back(Sink::kWebhook);
  if (!cfg_.sendmail_to.empty()) sinks.push_back(Sink::kSendmail);
  if (!cfg_.command.empty()) sinks.push_back(Sink::kCommand);
  std::vector<DeliveryEvent> dropped_events;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (Sink s : sinks) {
      if (jobs_.size() >= cfg_.max_queue) {
        const Job& old = jobs_.front();
        dropped_events.push_back(DeliveryEvent{SinkName(old.sink), old.alert.check, old.alert.state,
                                               old.attempt, false, true, "queue full: dropped"});
        jobs_.pop_front();
        ++dropped_;
      }
      jobs_.push_back(Job{next_id_++, a, s, 0, std::chrono::steady_clock::now()});
    }
  }
  cv_.notify_all();
  for (const auto& e : dropped_events) on_event_(e);
}

void* Notifier::ThreadMain(void* self) {
  // A command that exits without reading its stdin must not kill us with SIGPIPE: the
  // write gets EPIPE instead (the signal stays pending on this thread only).
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
  static_cast<Notifier*>(self)->Loop();
  return nullptr;
}

void Notifier::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    // Each sink delivers in order (a "resolved" never overtakes its "firing"): only the
    // first job of each sink is a candidate; the earliest due of those goes next.
    const Job* next = nullptr;
    bool seen[3] = {false, false, false};
    for (const Job& j : jobs_) {
      int k = static_cast<int>(j.sink);
      if (seen[k]) continue;
      seen[k] = true;
      if (!next || j.due < next->due) next = &j;
    }
    if (!next) {
      cv_.wait(l);
      continue;
    }
    if (next->due > std::chrono::steady_clock::now()) {
      cv_.wait_until(l, next->due);
      continue;
    }
    Job job = *next;
    l.unlock();
    ++job.attempt;
    Status s = Deliver(job);
    DeliveryEvent ev{
        SinkName(job.sink),       job.alert.check, job.alert.state, job.attempt, s.ok(), false,
        s.ok() ? "" : s.message()};
    l.lock();
    auto it =
        std::find_if(jobs_.begin(), jobs_.end(), [&](const Job& j) { return j.id == job.id; });
    if (it != jobs_.end()) {  // else: dropped from a full queue meanwhile
      if (s.ok()) {
        jobs_.erase(it);
      } else if (job.attempt >= cfg_.max_attempts) {
        ev.gave_up = true;
        jobs_.erase(it);
      } else {
        it->attempt = job.attempt;
        it->due = std::chrono::steady_clock::now() +
                  BackoffDelay(job.attempt, cfg_.backoff_initial, cfg_.backoff_max);
      }
    }
    l.unlock();
    on_event_(ev);
    l.lock();
  }
}

Status Notifier::Deliver(const Job& j) {
  const Alert& a = j.alert;
  switch (j.sink) {
    case Sink::kWebhook: {
      auto body = RenderTemplate(cfg_.webhook_template, a);
      if (!body.ok()) return body.status();
      // A webhook may be outside, behind the operator's proxy (http_proxy, https_proxy).
      auto r = HttpPostJson(
          cfg_.webhook_url, *body,
          {.timeout = cfg_.timeout, .user_agent = "oj-watchdog", .proxy_from_env = true});
      if (!r.ok()) return r.status();
      if (r->status < 200 || r->status >= 300) {
        return Status::Unavailable("webhook answered " + std::to_string(r->status));
      }
      return Status::Ok();
    }
    case Sink::kSendmail: {
      std::string mail = "To: " + cfg_.sendmail_to + "\nSubject: " + AlertText(a).substr(0, 200) +
                         "\nContent-Type: text/plain; charset=utf-8\n\n" + AlertText(a) +
                         "\n\nat " + a.time + "\n";
      return RunWithInput({cfg_.sendmail_path, "-t", "-i"}, {}, mail, cfg_.timeout);
    }
    case Sink::kCommand:
      return RunWithInput({"/bin/sh", "-c", cfg_.command},
                          {{"OJ_ALERT_CHECK", a.check},
                           {"OJ_ALERT_STATE", a.state},
                           {"OJ_ALERT_MESSAGE", AlertText(a)}},
                          AlertText(a) + "\n", cfg_.timeout);
  }
  return Status::Internal("unknown sink");
}

const char* Notifier::SinkName(Sink s) {
  switch (s) {
    case Sink::kWebhook:
      return "webhook";
    case Sink::kSendmail:
      return "sendmail";
    case Sink::kCommand:
      return "command";
  }
  return "?";
}

}  // namespace oj::watchdog
