// The outage ledger's local journals: what is recorded while the database may be
// down (the typical outage), imported into it when it answers again.
//
// Files, under <storage_dir>/ledger/ (the storage file system, not the database's):
//   refusals.journal   one line per refused upload whose token the app saw (fcgi workers)
//   minutes.journal    the watchdog's running counts for the current minute
//   *.importing        a journal taken for import; deleted once the rows committed
//   import.lock        serializes importers (watchdog, upload path, ojctl)
//
// Writers append one line with one write(2) on an O_APPEND descriptor under a shared
// flock; the importer renames the journal aside, takes the exclusive lock once (so
// every writer that still holds the old file has finished), reads it, imports it and
// deletes it. A writer that opened the old name re-checks the inode under its lock
// and reopens. No fsync: a crash of the process loses nothing; a crash of the host
// may lose the last seconds in the page cache (the health probe of the minute after
// the reboot records the outage itself). Each file is bounded by
// ledger.journal_max_bytes: past it, records are dropped (Append says so).
//
// Lines carry only validated fields (tokens [A-Za-z0-9]{8}, codes [A-Za-z0-9_-]{1,32},
// a reason from a fixed set, numbers), never raw student bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/outage.h"
#include "core/status.h"

namespace oj {

struct RefusalRecord {
  std::string id;  // 16 [A-Za-z0-9]: makes the import idempotent
  SysTime at;
  int status = 503;
  std::string token;
  std::string course;
  std::string module;
  std::string reason;  // database, storage, internal
};

// "R <id> <unix microseconds> <status> <token> <course> <module> <reason>"; nullopt
// when a field would not pass validation (then nothing is journaled).
std::optional<std::string> EncodeRefusal(const RefusalRecord& r);
std::optional<RefusalRecord> ParseRefusal(std::string_view line);
// "M <minute> <probes> <failed> <uploads> <uploads_5xx>"
std::string EncodeMinute(const MinuteSample& m);
std::optional<MinuteSample> ParseMinute(std::string_view line);
bool IsRefusalReason(std::string_view reason);

// <storage_dir>/ledger
std::string LedgerDir(const Config& cfg);
inline constexpr const char* kRefusalsJournal = "refusals.journal";
inline constexpr const char* kMinutesJournal = "minutes.journal";

// Appends one line (without '\n') to dir/name, creating dir and file as needed.
// ResourceExhausted when the file already holds max_bytes (the record is dropped).
Status AppendJournal(const std::string& dir, const char* name, std::string_view line,
                     uint64_t max_bytes);

// Takes dir/name for import: a journal left from an import that failed first, else
// the current one (renamed aside). import(lines) gets its complete lines; when it
// returns ok the file is deleted, otherwise it is kept for the next call. Ok with no
// call when there is nothing to import.
Status ImportJournal(const std::string& dir, const char* name, uint64_t max_bytes,
                     const std::function<Status(const std::vector<std::string>&)>& import);

}  // namespace oj
