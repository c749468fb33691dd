// What a worker's handlers share: configuration, the worker's database
// connection and its scoreboard slot.
#pragma once

#include "core/config.h"
#include "core/db.h"
#include "core/receipt.h"
#include "core/replica.h"
#include "fcgi_app/scoreboard.h"

namespace oj {

struct AppContext {
  const Config* config = nullptr;
  Database* db = nullptr;
  Scoreboard* scoreboard = nullptr;
  WorkerSlot* slot = nullptr;                 // may be null in tests
  const ReceiptKeys* receipt_keys = nullptr;  // null: no receipts (disabled or keys unreadable)
  ReadRouter* reads = nullptr;  // results pages and JSON: the replica when usable; null: db
};

}  // namespace oj
