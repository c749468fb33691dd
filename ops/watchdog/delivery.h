// Alert delivery off the check cycle: a bounded queue and one thread that sends
// each alert to every configured sink (JSON webhook, sendmail, a command), retrying
// a failed sink with exponential backoff. Enqueue never blocks; when the queue is
// full the oldest job is dropped (and counted), so memory stays bounded however
// long a receiver is down.
#pragma once

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "ops/watchdog/alert.h"

namespace oj::watchdog {

struct DeliveryConfig {
  std::string webhook_url;       // "" = none
  std::string webhook_template;  // validated with ValidateTemplate
  std::string sendmail_to;       // "" = none
  std::string sendmail_path = "/usr/sbin/sendmail";
  std::string command;                              // sh -c; "" = none
  std::chrono::milliseconds timeout{5000};          // one attempt
  size_t max_queue = 64;                            // jobs (alert x sink)
  int max_attempts = 20;                            // then the job is dropped
  std::chrono::milliseconds backoff_initial{1000};  // doubles per failed attempt
  std::chrono::milliseconds backoff_max{30000};
};

// Delay before attempt number `attempt` (1 = first retry): initial * 2^(attempt-1),
// capped at max.
std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max);

// What happened to one delivery attempt, for the loop's log.
struct DeliveryEvent {
  std::string sink;  // webhook, sendmail, command
  std::string check;
  std::string state;
  int attempt = 0;
  bool ok = false;
  bool gave_up = false;  // no further retries (attempts exhausted, or dropped)
  std::string error;
};

class Notifier {
 public:
  // on_event is called from the delivery thread.
  Notifier(DeliveryConfig cfg, std::function<void(const DeliveryEvent&)> on_event);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  Status Start();  // starts the thread (small stack: it may be memory-locked)
  void Stop();     // abandons pending retries; returns once the thread has ended
  // Queues a to every sink. Never blocks on delivery.
  void Enqueue(const Alert& a);
  bool HasSinks() const;
  uint64_t dropped() const;

 private:
  enum class Sink { kWebhook, kSendmail, kCommand };
  struct Job {
    uint64_t id = 0;
    Alert alert;
    Sink sink;
    int attempt = 0;
    std::chrono::steady_clock::time_point due;
  };
  static void* ThreadMain(void* self);
  void Loop();
  Status Deliver(const Job& j);
  static const char* SinkName(Sink s);

  DeliveryConfig cfg_;
  std::function<void(const DeliveryEvent&)> on_event_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;  // GUARDED_BY(mu_)
  bool stop_ = false;     // GUARDED_BY(mu_)
  uint64_t dropped_ = 0;  // GUARDED_BY(mu_)
  uint64_t next_id_ = 1;  // GUARDED_BY(mu_)
  pthread_t thread_{};
  bool started_ = false;
};

}  // namespace oj::watchdog
