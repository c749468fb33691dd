// The upload decisions (docs/contract.md §3.1), as pure functions with table tests
// (admission_test.cc). Order of checks: size, fields, token/course/module,
// open/closed, module size limit, rate.
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"
#include "core/config.h"
#include "core/intake_store.h"
#include "fcgi_app/http.h"

namespace oj {

namespace lines {
inline constexpr const char* kTooLarge = "[FAIL ✗] File is too large!";
inline constexpr const char* kInvalidToken = "[FAIL ✗] Invalid token!";
inline constexpr const char* kUnknownTarget = "[FAIL ✗] Unknown course or module!";
inline constexpr const char* kEmptyFile = "[FAIL ✗] Empty file!";
inline constexpr const char* kKeyReused = "[FAIL ✗] Idempotency-Key reused with a different file";
}  // namespace lines

Response TooLarge();
Response MissingField(const std::string& name);
Response Malformed(const std::string& reason);
Response TooManyRequests(uint32_t retry_after_s);
Response ServerBusy(uint32_t retry_after_s);
Response InternalError(const std::string& request_id);
Response Received(const std::string& id, SysTime at, bool late);

struct TargetDecision {
  std::optional<Response> reject;  // set: answer this, store nothing
  bool late = false;
};

// Token, course and module: nullopt when the token is valid, enabled and in the course
// and the module exists; else the answer (an invalid token learns nothing more).
std::optional<Response> DecideIdentity(const UploadTarget& t);

// DecideIdentity, then opening and closing and the module size limit.
TargetDecision DecideTarget(const UploadTarget& t, SysTime now, uint64_t file_size);

// An upload with an Idempotency-Key, given the key's use by the same student within
// the window (nullopt: none): new; a retry of that upload (same module and bytes),
// answered with its recorded answer; or the key reused for something else (422).
// Checked after identity and before opening, closing and rate: a retry of an upload
// stored before the deadline gets its answer after it too, and costs no rate.
enum class KeyedRetry { kNew, kReplay, kReused };
KeyedRetry DecideKeyedRetry(const std::optional<KeyedUpload>& earlier, uint32_t module_id,
                            const std::string& sha256);
Response KeyReused();

// Per-token rate rule: nullopt when allowed, else the 429 to send.
std::optional<Response> DecideTokenRate(const RecentUploads& recent, SysTime now,
                                        const UploadConfig& cfg);

}  // namespace oj
