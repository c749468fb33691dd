// POST /upload: parse the multipart body as it streams in, store the file
// durably under a server-chosen name, insert the submission row, answer the
// SPEC line. Memory stays at one read buffer whatever the upload size.
#pragma once

#include <string>

#include "fcgi_app/app_context.h"
#include "fcgi_app/http.h"

namespace oj {

struct UploadOutcome {
  std::string submission_id;  // set when stored
  std::string token;          // as sent, for the log (never the file)
  uint64_t size_bytes = 0;
  bool duplicate = false;  // answered with an earlier identical submission
  std::string ledger;      // outage ledger note for the log ("" when nothing happened)
};

Response HandleUpload(AppContext& ctx, const Request& req, UploadOutcome* outcome);

// Storage layout: <storage_dir>/<first two id characters>/<id>. Ids are [A-Za-z0-9]
// only, so no student byte ever reaches a path.
std::string StorageKeyFor(const std::string& submission_id);

// True if another worker's upload of the same body length overlaps [began, now]:
// a parallel batch of identical uploads, which are stored, not deduplicated.
bool ConcurrentTwinInFlight(const Scoreboard* sb, const WorkerSlot* self, uint64_t length,
                            int64_t began_us, int64_t now_us);

// Identifies (student, module, sha256 hex) in the scoreboard; never 0. Equal keys may
// (rarely) collide: that only costs one more lookup.
uint64_t UploadTwinKey(uint32_t student_id, uint32_t module_id, const std::string& sha256_hex);

// True if another worker is handling an upload with this twin key (still in flight):
// it may commit an identical submission after this upload's first look for one.
bool TwinMayBeStoring(const Scoreboard* sb, const WorkerSlot* self, uint64_t twin_key);

// Removes part files left in <storage_dir>/tmp by the worker with this pid.
void RemoveWorkerTempFiles(const std::string& storage_dir, pid_t pid);

}  // namespace oj
