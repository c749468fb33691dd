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
#include "core/sha256.h"
#include "fcgi_app/admission.h"
#include "fcgi_app/multipart.h"
#include "core/queue_notify.h"

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
  auto free_bytes = FreeBytes(storage);
  if (!free_bytes.ok() || *free_bytes < cfg.upload.min_free_bytes + req.content_length) {
    return ServerBusy(cfg.upload.retry_after_s);
  }

  PartFile part;
  Status s = part.Create(storage + "/tmp");
  if (!s.ok()) return ServerBusy(cfg.upload.retry_after_s);

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
    if (s.code() == Status::Code::kUnavailable) return ServerBusy(cfg.upload.retry_after_s);
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
  outcome->token = IsValidToken(token) ? token : "<invalid>";
  outcome->size_bytes = sink.size();
  if (!IsValidToken(token)) return Response::Line(403, lines::kInvalidToken);

  auto target = LookupUploadTarget(*ctx.db, token, course, module);
  if (!target.ok()) return ServerBusy(cfg.upload.retry_after_s);
  SysTime now = std::chrono::system_clock::now();
  TargetDecision decision = DecideTarget(*target, now, sink.size());
  if (decision.reject) return *decision.reject;

  auto window_start = now - std::chrono::seconds(cfg.upload.token_window_s);
  auto recent = CountUploadsSince(*ctx.db, target->student_id, target->module->id, window_start);
  if (!recent.ok()) return ServerBusy(cfg.upload.retry_after_s);
  if (auto limited = DecideTokenRate(*recent, now, cfg.upload)) return *limited;

  // Durable before acknowledged: file data, then its new name, then the row.
  if (::fsync(part.fd()) != 0) return ServerBusy(cfg.upload.retry_after_s);
  NewSubmission sub;
  sub.id = NewSubmissionId();
  sub.student_id = target->student_id;
  sub.module_id = target->module->id;
  sub.received_at = now;
  sub.size_bytes = sink.size();
  sub.sha256 = sink.Digest();
  sub.storage_key = StorageKeyFor(sub.id);
  sub.late = decision.late;
  sub.client_ip = req.remote_addr;
  sub.supersede = target->module->supersede;

  std::string dir = storage + "/" + sub.id.substr(0, 2);
  std::string final_path = storage + "/" + sub.storage_key;
  if (!MakeDirs(dir).ok()) return ServerBusy(cfg.upload.retry_after_s);
  if (ctx.slot) {
    std::memcpy(ctx.slot->pending_id, sub.id.c_str(), sub.id.size() + 1);
    ctx.slot->storing.store(true);
  }
  auto clear_pending = [&] {
    if (ctx.slot) ctx.slot->storing.store(false);
  };
  if (::rename(part.path().c_str(), final_path.c_str()) != 0) {
    clear_pending();
    return ServerBusy(cfg.upload.retry_after_s);
  }
  part.Committed();
  s = FsyncDir(dir);
  if (s.ok()) s = FsyncDir(storage);
  if (s.ok()) s = InsertSubmission(*ctx.db, sub);
  if (!s.ok()) {
    ::unlink(final_path.c_str());
    (void)FsyncDir(dir);
    clear_pending();
    if (s.code() == Status::Code::kUnavailable || s.code() == Status::Code::kAborted) {
      return ServerBusy(cfg.upload.retry_after_s);
    }
    return InternalError(sub.id);
  }
  clear_pending();
  outcome->submission_id = sub.id;
  if (ctx.scoreboard) {
    ctx.scoreboard->upload_bytes.fetch_add(sub.size_bytes, std::memory_order_relaxed);
    ctx.scoreboard->uploads_stored.fetch_add(1, std::memory_order_relaxed);
  }
  NotifyQueue(cfg.paths.run_dir);
  return Received(sub.id, now, sub.late);
}

}  // namespace oj
