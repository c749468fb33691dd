#include "fcgi_app/upload.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include "core/fs.h"
#include "core/ids.h"
#include "core/intake_store.h"
#include "core/outage.h"
#include "core/outage_journal.h"
#include "core/outage_store.h"
#include "core/queue_notify.h"
#include "core/results_store.h"
#include "core/sha256.h"
#include "fcgi_app/admission.h"
#include "fcgi_app/multipart.h"
#include "fcgi_app/results_render.h"

namespace oj {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxFieldBytes = 256;
const char* const kFields[] = {"token", "course", "module"};

// A part file that unlinks itself unless committed.
class PartFile {
 public:
  ~PartFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  Status Create(const std::string& dir) {
    path_ = dir + "/" + std::to_string(::getpid()) + "-" + RandomAlnum(12) + ".part";
    fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
    if (!fd_.valid()) {
      std::string err = std::strerror(errno);
      path_.clear();
      return Status::Unavailable("cannot create part file in " + dir + ": " + err);
    }
    return Status::Ok();
  }
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  void Committed() { path_.clear(); }

 private:
  std::string path_;
  UniqueFd fd_;
};

class UploadSink : public MultipartSink {
 public:
  // file null: only the fields are read (the file part is counted and dropped).
  UploadSink(PartFile* file, uint64_t max_file_bytes) : file_(file), max_(max_file_bytes) {}

  Status OnPartBegin(const PartInfo& part) override {
    current_ = part.name;
    if (part.name == "file") {
      if (file_seen_) return Status::InvalidArgument("duplicate field: file");
      file_seen_ = true;
      in_file_ = true;
      return Status::Ok();
    }
    in_file_ = false;
    for (const char* f : kFields) {
      if (part.name == f) {
        if (fields_.count(part.name)) {
          return Status::InvalidArgument("duplicate field: " + part.name);
        }
        fields_[part.name] = "";
      }
    }
    return Status::Ok();
  }

  Status OnPartData(std::string_view data) override {
    if (in_file_) {
      size_ += data.size();
      if (size_ > max_) return Status::ResourceExhausted("file over the limit");
      if (!file_) return Status::Ok();  // fields only: the file is not kept
      hash_.Update(data);
      return WriteAll(file_->fd(), data.data(), data.size());
    }
    auto it = fields_.find(current_);
    if (it == fields_.end()) return Status::Ok();  // extra fields are ignored
    if (it->second.size() + data.size() > kMaxFieldBytes) {
      return Status::InvalidArgument("field " + current_ + " too long");
    }
    it->second.append(data);
    return Status::Ok();
  }

  Status OnPartEnd() override {
    in_file_ = false;
    return Status::Ok();
  }

  std::optional<std::string> Field(const std::string& name) const {
    auto it = fields_.find(name);
    if (it == fields_.end()) return std::nullopt;
    return it->second;
  }
  bool file_seen() const { return file_seen_; }
  uint64_t size() const { return size_; }
  std::string Digest() { return hash_.HexDigest(); }

 private:
  PartFile* file_;
  uint64_t max_;
  std::map<std::string, std::string> fields_;
  std::string current_;
  bool in_file_ = false;
  bool file_seen_ = false;
  uint64_t size_ = 0;
  Sha256 hash_;
};

bool HasLineBreakOrControl(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// Journals a refused upload (503/5xx) in the outage ledger when the app read valid
// token, course and module fields; the record holds only those validated strings.
void JournalRefusal(const Config& cfg, const std::optional<std::string>& token,
                    const std::optional<std::string>& course,
                    const std::optional<std::string>& module, int status, const char* reason,
                    UploadOutcome* outcome) {
  if (!token || !course || !module) return;
  RefusalRecord r;
  r.id = RandomAlnum(kSubmissionIdLength);
  r.at = std::chrono::system_clock::now();
  r.status = status;
  r.token = *token;
  r.course = *course;
  r.module = *module;
  r.reason = reason;
  auto line = EncodeRefusal(r);
  if (!line) return;  // not a well-formed token or code: no student of ours
  Status s = AppendJournal(LedgerDir(cfg), kRefusalsJournal, *line, cfg.ledger.journal_max_bytes);
  outcome->ledger = s.ok() ? std::string("refusal journaled (") + reason + ")"
                           : "refusal not journaled: " + s.message();
}

// Reads only the fields of a body we will not store (storage low): what the ledger
// needs to name the refused token. Nothing is written to disk.
UploadSink* ReadFieldsOnly(const Request& req, const std::string& boundary, UploadSink* sink) {
  MultipartParser parser(boundary, MultipartLimits(), sink);
  char buf[kReadChunk];
  for (;;) {
    long n = req.body ? req.body->Read(buf, sizeof buf) : 0;
    if (n <= 0) break;
    if (!parser.Feed(std::string_view(buf, static_cast<size_t>(n))).ok()) return nullptr;
  }
  return parser.Finish().ok() ? sink : nullptr;
}

// The 200 answer, with its headers (contract §3.1): a signed receipt, the queue
// position and wait estimate (computed exactly as the JSON endpoint does), and the
// results page URL. The line itself never changes.
Response Acknowledge(AppContext& ctx, const std::string& token, const std::string& course,
                     const ModuleRow& module, const NewSubmission& sub,
                     const QueueEstimate& queue) {
  Response r = Received(sub.id, sub.received_at, sub.late);
  uint64_t position = 0;
  std::optional<int64_t> eta;
  if (queue.queue_ahead) {
    position = *queue.queue_ahead;
    eta = EstimateWaitSeconds(position, queue.running_jobs, queue.active_runners,
                              queue.recent_durations_ms);
  }
  r.headers.emplace_back("X-OJ-Queue-Position", std::to_string(position));
  r.headers.emplace_back("X-OJ-ETA-Seconds", eta ? std::to_string(*eta) : "unknown");
  // From the configuration, never the Host header: a forged Host must not put another
  // server's address into the link a student follows.
  r.headers.emplace_back("X-OJ-Result-URL", PublicBaseUrl(*ctx.config) + "/oj/" + course + "/" +
                                                module.code + "/" + token);
  if (ctx.receipt_keys) {
    ReceiptFields f;
    f.id = sub.id;
    f.course = course;
    f.module = module.code;
    f.token = token;
    f.size_bytes = sub.size_bytes;
    f.sha256 = sub.sha256;
    f.received_at = FormatIso8601Utc(sub.received_at);
    f.seq = position;
    r.headers.emplace_back("X-OJ-Receipt", ctx.receipt_keys->Sign(f));
  }
  return r;
}

// The answer to an upload whose Idempotency-Key was used before: the earlier upload's
// recorded answer for a retry of it, the 422 line for anything else.
Response AnswerKeyedRetry(KeyedRetry decision, const KeyedUpload& earlier, UploadOutcome* outcome) {
  if (decision == KeyedRetry::kReused) return KeyReused();
  auto answer = DecodeResponse(earlier.answer);
  if (!answer) return InternalError(earlier.submission_id);  // a row we did not write
  outcome->submission_id = earlier.submission_id;
  outcome->replayed = true;
  return *answer;
}

}  // namespace

std::string StorageKeyFor(const std::string& id) { return id.substr(0, 2) + "/" + id; }

void RemoveWorkerTempFiles(const std::string& storage_dir, pid_t pid) {
  std::error_code ec;
  std::string prefix = std::to_string(pid) + "-";
  for (const auto& e : std::filesystem::directory_iterator(storage_dir + "/tmp", ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0) std::filesystem::remove(e.path(), ec);
  }
}

Response HandleUpload(AppContext& ctx, const Request& req, UploadOutcome* outcome) {
  const Config& cfg = *ctx.config;
  const uint64_t max_body = cfg.upload.max_body_bytes;
  if (req.content_length > max_body + 64 * 1024) return TooLarge();

  auto boundary = BoundaryFromContentType(req.content_type);
  if (!boundary.ok()) return Malformed(boundary.status().message());

  const std::string& storage = cfg.paths.storage_dir;
  // Refused before the file is stored (storage low): the answer is 503 whatever the
  // body holds; its fields are read only to name the token in the outage ledger.
  auto storage_busy = [&]() {
    UploadSink fields(nullptr, max_body);
    if (ReadFieldsOnly(req, *boundary, &fields)) {
      auto token = fields.Field("token");
      if (token && IsValidToken(*token)) outcome->token = *token;
      JournalRefusal(cfg, token, fields.Field("course"), fields.Field("module"), 503, "storage",
                     outcome);
    }
    return ServerBusy(cfg.upload.retry_after_s);
  };
  auto free_bytes = FreeBytes(storage);
  if (!free_bytes.ok() || *free_bytes < cfg.upload.min_free_bytes + req.content_length) {
    return storage_busy();
  }

  PartFile part;
  Status s = part.Create(storage + "/tmp");
  if (!s.ok()) return storage_busy();

  UploadSink sink(&part, max_body);
  MultipartParser parser(*boundary, MultipartLimits(), &sink);
  char buf[kReadChunk];
  for (;;) {
    long n = req.body ? req.body->Read(buf, sizeof buf) : 0;
    if (n < 0) return Malformed("body ended early");
    if (n == 0) break;
    s = parser.Feed(std::string_view(buf, static_cast<size_t>(n)));
    if (!s.ok()) break;
  }
  if (s.ok()) s = parser.Finish();
  if (!s.ok()) {
    if (s.code() == Status::Code::kResourceExhausted) return TooLarge();
    if (s.code() == Status::Code::kUnavailable) {  // writing the file failed (disk full)
      JournalRefusal(cfg, sink.Field("token"), sink.Field("course"), sink.Field("module"), 503,
                     "storage", outcome);
      return ServerBusy(cfg.upload.retry_after_s);
    }
    if (s.code() == Status::Code::kInvalidArgument) return Malformed(s.message());
    return InternalError(RandomAlnum(12));
  }

  for (const char* f : kFields) {
    if (!sink.Field(f)) return MissingField(f);
  }
  if (!sink.file_seen()) return MissingField("file");
  if (sink.size() == 0) return Response::Line(400, lines::kEmptyFile);
  std::string token = *sink.Field("token");
  std::string course = *sink.Field("course");
  std::string module = *sink.Field("module");
  for (const char* f : kFields) {
    if (HasLineBreakOrControl(*sink.Field(f))) {
      return Malformed(std::string("field ") + f + " contains a control character");
    }
  }
  std::optional<IdempotencyKey> key;
  if (!req.idempotency_key.empty()) {
    auto parsed = ParseIdempotencyKey(req.idempotency_key);
    if (!parsed) return Malformed("Idempotency-Key must be 16-64 URL-safe characters");
    key = IdempotencyKey{*parsed, std::chrono::system_clock::now() -
                                      std::chrono::seconds(cfg.upload.idempotency_window_s)};
  }
  outcome->token = IsValidToken(token) ? token : "<invalid>";
  outcome->size_bytes = sink.size();
  if (!IsValidToken(token)) return Response::Line(403, lines::kInvalidToken);
  // From here on every 503/5xx is recorded in the outage ledger (token seen).
  auto busy = [&](const char* reason) {
    JournalRefusal(cfg, token, course, module, 503, reason, outcome);
    return ServerBusy(cfg.upload.retry_after_s);
  };
  auto internal = [&](const std::string& ref) {
    JournalRefusal(cfg, token, course, module, 500, "internal", outcome);
    return InternalError(ref);
  };

  auto target = LookupUploadTarget(*ctx.db, token, course, module);
  if (!target.ok()) return busy("database");
  const std::string digest = sink.Digest();
  // A retry by key gets its first answer even if the module has closed since (it was
  // stored in time) and costs no rate; so it is decided once the identity is known.
  if (key && !DecideIdentity(*target)) {
    auto earlier = LookupIdempotencyKey(*ctx.db, target->student_id, *key);
    if (!earlier.ok()) return busy("database");
    KeyedRetry retry = DecideKeyedRetry(*earlier, target->module->id, digest);
    if (retry != KeyedRetry::kNew) return AnswerKeyedRetry(retry, **earlier, outcome);
  }
  SysTime now = std::chrono::system_clock::now();
  TargetDecision decision = DecideTarget(*target, now, sink.size());
  // Late accept: refused during an outage before the deadline, this token's first
  // upload after it is on time (within grace.late_accept_s past the deadline).
  std::optional<SysTime> on_time_refused_at;
  if (LateAcceptCandidate(*target, now, sink.size(), cfg.grace.late_accept_s)) {
    // Refusals journaled while the database was down may not be imported yet.
    (void)ImportLedgerJournals(*ctx.db, LedgerDir(cfg), cfg.ledger.journal_max_bytes);
    auto found = LookupRefusal(*ctx.db, token, course, module, target->student_id,
                               target->module->id, target->module->deadline);
    if (!found.ok()) return busy("database");
    on_time_refused_at = DecideLateAccept({now, target->module->deadline, found->refused_at,
                                           found->stored_since, cfg.grace.late_accept_s});
    if (on_time_refused_at) {
      decision.reject.reset();
      decision.late = false;
      outcome->ledger = "on time: refused at " + FormatDbTime(*on_time_refused_at) + " UTC";
    }
  }
  if (decision.reject) return *decision.reject;

  // The watchdog's canary (contract §6) sends the same known-good archive every interval
  // and must never be rate-limited.
  const bool canary = target->canary;
  if (!canary) {
    auto recent = LoadRecentUploads(*ctx.db, target->student_id, target->module->id,
                                    now - std::chrono::seconds(cfg.upload.token_window_s));
    if (!recent.ok()) return busy("database");
    if (auto limited = DecideTokenRate(*recent, now, cfg.upload)) return *limited;
  }

  // Durable before acknowledged: file data, then its new name, then the row.
  if (::fsync(part.fd()) != 0) return busy("storage");
  NewSubmission sub;
  sub.id = NewSubmissionId();
  sub.student_id = target->student_id;
  sub.module_id = target->module->id;
  sub.received_at = now;
  sub.size_bytes = sink.size();
  sub.sha256 = digest;
  sub.storage_key = StorageKeyFor(sub.id);
  sub.late = decision.late;
  sub.client_ip = req.remote_addr;
  sub.supersede = target->module->supersede && !canary;  // each canary is judged
  sub.on_time_refused_at = on_time_refused_at;
  sub.canary = canary;

  std::string dir = storage + "/" + sub.id.substr(0, 2);
  std::string final_path = storage + "/" + sub.storage_key;
  if (!MakeDirs(dir).ok()) return busy("storage");
  if (ctx.slot) {
    std::memcpy(ctx.slot->pending_id, sub.id.c_str(), sub.id.size() + 1);
    ctx.slot->storing.store(true);
  }
  auto clear_pending = [&] {
    if (ctx.slot) ctx.slot->storing.store(false);
  };
  if (::rename(part.path().c_str(), final_path.c_str()) != 0) {
    clear_pending();
    return busy("storage");
  }
  part.Committed();
  s = FsyncDir(dir);
  if (s.ok()) s = FsyncDir(storage);
  Response answer;
  std::optional<KeyedUpload> raced;
  if (s.ok()) {
    auto inserted = InsertSubmission(
        *ctx.db, sub, key, ResultsLimits{}.recent_jobs, [&](const QueueEstimate& q) {
          answer = Acknowledge(ctx, token, course, *target->module, sub, q);
          return key ? EncodeResponse(answer) : std::string();
        });
    if (inserted.ok()) {
      raced = inserted->earlier;
    } else {
      s = inserted.status();
    }
  }
  if (s.ok() && raced) {
    // An upload with the same key committed first, while we were storing: ours goes.
    ::unlink(final_path.c_str());
    (void)FsyncDir(dir);
    clear_pending();
    return AnswerKeyedRetry(DecideKeyedRetry(raced, sub.module_id, sub.sha256), *raced, outcome);
  }
  if (!s.ok()) {
    ::unlink(final_path.c_str());
    (void)FsyncDir(dir);
    clear_pending();
    if (s.code() == Status::Code::kUnavailable || s.code() == Status::Code::kAborted) {
      return busy("database");
    }
    return internal(sub.id);
  }
  clear_pending();
  outcome->submission_id = sub.id;
  if (ctx.scoreboard) {
    ctx.scoreboard->upload_bytes.fetch_add(sub.size_bytes, std::memory_order_relaxed);
    ctx.scoreboard->uploads_stored.fetch_add(1, std::memory_order_relaxed);
  }
  NotifyQueue(cfg.paths.run_dir);
  return answer;
}

}  // namespace oj
