#include "fcgi_app/worker.h"

#include <fcgiapp.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/db.h"
#include "core/log.h"
#include "fcgi_app/handlers.h"
#include "fcgi_app/router.h"
#include "fcgi_app/upload.h"

namespace oj {
namespace {

volatile sig_atomic_t g_stop = 0;

void OnTerm(int) {
  g_stop = 1;
  FCGX_ShutdownPending();  // makes a blocked accept() give up instead of retrying
}

class FcgiBody : public BodyReader {
 public:
  explicit FcgiBody(FCGX_Stream* in) : in_(in) {}
  long Read(char* buf, size_t n) override {
    int got = FCGX_GetStr(buf, static_cast<int>(n), in_);
    if (got < 0) return -1;
    return got;
  }

 private:
  FCGX_Stream* in_;
};

std::string Param(FCGX_Request& r, const char* name) {
  const char* v = FCGX_GetParam(name, r.envp);
  return v ? v : "";
}

int RouteIndexFor(Route::Kind k) {
  switch (k) {
    case Route::Kind::kUpload:
      return 0;
    case Route::Kind::kResultsPage:
      return 1;
    case Route::Kind::kResultsJson:
      return 2;
    case Route::Kind::kHealth:
      return 3;
    case Route::Kind::kMetrics:
      return 4;
    default:
      return 5;
  }
}

}  // namespace

int RunWorker(const Config& cfg, int listen_fd, Scoreboard* sb, int slot_index) {
  struct sigaction sa {};
  sa.sa_handler = OnTerm;  // no SA_RESTART: accept() must return on SIGTERM
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);

  WorkerSlot* slot = &sb->slots[slot_index];
  Database db(cfg.database);
  (void)db.Connect();  // failures surface per request as 503; reconnects by itself
  AppContext ctx{&cfg, &db, sb, slot};
  ReadRouter reads(&db, cfg.database);  // no replica configured: always db
  ctx.reads = &reads;
  std::optional<ReceiptKeys> keys;
  if (cfg.upload.receipts) {
    auto loaded = ReceiptKeys::LoadOrCreate(cfg.paths.keys_dir);
    if (loaded.ok()) {
      keys = std::move(*loaded);
      ctx.receipt_keys = &*keys;
      // OpenSSL sets itself up on first use (~1.4 ms): pay that here, not on the first
      // student's upload after every pool reload.
      (void)keys->Sign(ReceiptFields{});
    } else {
      spdlog::error("uploads will carry no receipt: {}", loaded.status().message());
    }
  }

  FCGX_Init();
  FCGX_Request fr;
  FCGX_InitRequest(&fr, listen_fd, 0);
  // SIGTERM must interrupt accept() (no SA_RESTART), but not a request: a read of the
  // body or from the database cut short would answer a valid upload with 400 or 503
  // (seen when the master was killed mid-upload). So stop signals wait while a request
  // is handled and are taken when it is answered.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  uint64_t served = 0;
  while (!g_stop && served < cfg.fcgi.max_requests) {
    if (FCGX_Accept_r(&fr) < 0) break;
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    auto t0 = std::chrono::steady_clock::now();
    slot->busy_since_ms.store(SteadyMillis());
    FcgiBody body(fr.in);
    Request req;
    req.method = Param(fr, "REQUEST_METHOD");
    req.uri = Param(fr, "REQUEST_URI");
    req.content_type = Param(fr, "CONTENT_TYPE");
    req.content_length = std::strtoull(Param(fr, "CONTENT_LENGTH").c_str(), nullptr, 10);
    req.remote_addr = Param(fr, "REMOTE_ADDR");
    req.if_none_match = Param(fr, "HTTP_IF_NONE_MATCH");
    req.idempotency_key = Param(fr, "HTTP_IDEMPOTENCY_KEY");
    req.body = &body;

    Route route = RouteRequest(req.method, req.uri);
    Response resp;
    UploadOutcome upload;
    try {
      switch (route.kind) {
        case Route::Kind::kUpload:
          resp = HandleUpload(ctx, req, &upload);
          break;
        case Route::Kind::kResultsPage:
        case Route::Kind::kResultsJson:
          resp = HandleResults(ctx, req, route);
          break;
        case Route::Kind::kHealth:
          resp = HandleHealth(ctx);
          break;
        case Route::Kind::kMetrics:
          resp = HandleMetrics(ctx);
          break;
        case Route::Kind::kMethodNotAllowed:
          resp = Response::Line(405, "[FAIL ✗] Method not allowed");
          break;
        case Route::Kind::kNotFound:
          resp = Response::Line(404, "[FAIL ✗] Not found");
          break;
      }
    } catch (const std::exception& e) {
      spdlog::error("request {} {} failed: {}", req.method, req.uri, e.what());
      resp = Response::Line(500, "[FAIL ✗] Internal error, nothing was stored (ref " +
                                     std::to_string(getpid()) + "-" + std::to_string(served) + ")");
    }
    std::string out = SerializeResponse(resp);
    if (req.method == "HEAD") out.resize(out.find("\r\n\r\n") + 4);
    FCGX_PutStr(out.data(), static_cast<int>(out.size()), fr.out);
    FCGX_Finish_r(&fr);
    sigprocmask(SIG_UNBLOCK, &stop_signals, nullptr);  // a stop that came meanwhile lands here
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    RecordRequest(sb, RouteIndexFor(route.kind), resp.status, secs);
    slot->busy_since_ms.store(0);
    slot->requests.fetch_add(1, std::memory_order_relaxed);
    ++served;
    if (route.kind == Route::Kind::kUpload) {
      spdlog::info("upload id={}{} token={} size={} status={} ms={:.1f} ip={}{}{}",
                   upload.submission_id.empty() ? "-" : upload.submission_id,
                   upload.replayed ? " (retry by key)" : "",
                   upload.token.empty() ? "-" : upload.token, upload.size_bytes, resp.status,
                   secs * 1000, req.remote_addr,
                   upload.ledger.empty() ? "" : " ledger: ", upload.ledger);
    } else if (resp.status >= 500) {
      spdlog::warn("{} {} status={} ms={:.1f}", req.method, req.uri, resp.status, secs * 1000);
    }
  }
  FCGX_Free(&fr, 0);
  return 0;
}

}  // namespace oj
