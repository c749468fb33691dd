// Wakes an idle judge runner after a submission is committed: one byte into the
// FIFO <run_dir>/queue.fifo that idle runners poll. Never blocks; a missing or full
// FIFO only means the runners find the job on their next (slower) database poll.
#pragma once

#include <string>

namespace oj {

std::string QueueFifoPath(const std::string& run_dir);
void NotifyQueue(const std::string& run_dir);

}  // namespace oj
