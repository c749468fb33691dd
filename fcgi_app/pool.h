// The prefork pool master. Theory of operation:
//
// The master binds the FastCGI unix socket once and forks `workers` children that
// all accept() on it (the kernel hands each connection to one idle worker; libfcgi
// serves one connection at a time, which is why nginx must not keep connections).
// The master itself never serves a request. It sleeps in sigtimedwait() with its
// signals blocked, so handlers never run and there are no races around fork():
//   SIGCHLD  reap; clean what a dead worker left (part files, a half-stored
//            submission with no row); respawn unless draining. A slot that dies
//            more than kCrashLoopLimit times in kCrashLoopWindow is respawned only
//            after a pause (php-fpm's emergency restart threshold).
//   SIGHUP   reload the configuration; on success, replace workers gracefully
//            (SIGTERM: each finishes its request, exits, is respawned with the new
//            configuration); on failure keep running and log why.
//   SIGTERM  drain: SIGTERM the workers, wait up to drain_timeout_s, SIGKILL the
//   SIGINT   rest, remove the socket, exit.
// Every second it reads the scoreboard and SIGKILLs a worker busy on one request
// for longer than request_timeout_s (+ grace), which nginx has already given up on.
#pragma once

#include <string>

#include "core/config.h"

namespace oj {

// Runs the master until drained. Returns the process exit code.
int RunPoolMaster(Config cfg, const std::string& config_path);

}  // namespace oj
