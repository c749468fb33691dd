// POST /upload: parse the multipart body as it streams in, store the file
// durably under a server-chosen name, insert the submission row, answer the
// line of docs/contract.md §3.1. Memory stays at one read buffer whatever the upload size.
#pragma once

#include <string>

#include "fcgi_app/app_context.h"
#include "fcgi_app/http.h"

namespace oj {

struct UploadOutcome {
  std::string submission_id;  // set when stored
  std::string token;          // as sent, for the log (never the file)
  uint64_t size_bytes = 0;
  bool replayed = false;  // a retry by Idempotency-Key: the earlier upload's answer
  std::string ledger;     // outage ledger note for the log ("" when nothing happened)
};

Response HandleUpload(AppContext& ctx, const Request& req, UploadOutcome* outcome);

// Storage layout: <storage_dir>/<first two id characters>/<id>. Ids are [A-Za-z0-9]
// only, so no student byte ever reaches a path.
std::string StorageKeyFor(const std::string& submission_id);

// Removes part files left in <storage_dir>/tmp by the worker with this pid.
void RemoveWorkerTempFiles(const std::string& storage_dir, pid_t pid);

}  // namespace oj
