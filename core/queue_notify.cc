#include "core/queue_notify.h"

#include <fcntl.h>
#include <unistd.h>

namespace oj {

std::string QueueFifoPath(const std::string& run_dir) { return run_dir + "/queue.fifo"; }

void NotifyQueue(const std::string& run_dir) {
  int fd = ::open(QueueFifoPath(run_dir).c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return;  // no runner listening (ENXIO) or no FIFO yet
  char b = 1;
  ssize_t n = ::write(fd, &b, 1);
  (void)n;  // EAGAIN: the FIFO already holds wake-ups
  ::close(fd);
}

}  // namespace oj
