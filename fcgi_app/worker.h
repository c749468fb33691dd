// A pool worker: accepts FastCGI requests on the shared listening socket one at a
// time (libfcgi), routes them and answers. Exits after max_requests (recycling) or
// when SIGTERM asks it to (after finishing the request in hand).
#pragma once

#include "core/config.h"
#include "fcgi_app/scoreboard.h"

namespace oj {

// Runs until recycled or stopped; returns the process exit code.
int RunWorker(const Config& cfg, int listen_fd, Scoreboard* sb, int slot_index);

}  // namespace oj
