// Test only: a canned HTTP server for the client's tests (core/http_client_test.cc,
// judge_runner/archive_source_test.cc). Header-only, linked into no program.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "core/fs.h"

namespace oj::http_test {

using std::chrono::milliseconds;

// A one-shot server on 127.0.0.1 and a port the kernel picks: accepts one connection,
// reads the request (headers and a Content-Length body), waits delay, sends answer
// verbatim, closes. Gives up after a few seconds without a client.
class CannedServer {
 public:
  explicit CannedServer(std::string answer, milliseconds delay = milliseconds(0))
      : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    EXPECT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listener_.get(), 1), 0);
    EXPECT_EQ(::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&a), &len), 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, answer = std::move(answer), delay] { Serve(answer, delay); });
  }
  ~CannedServer() { Join(); }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // What the client sent (waits for the server to finish).
  const std::string& Request() {
    Join();
    return request_;
  }

 private:
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  void Serve(const std::string& answer, milliseconds delay) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return;
    UniqueFd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    timeval tv{5, 0};
    ::setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    size_t want = std::string::npos;  // request bytes in all, once the head is in
    while (want == std::string::npos || request_.size() < want) {
      ssize_t n = ::recv(c.get(), buf, sizeof buf, 0);
      if (n <= 0) break;
      request_.append(buf, static_cast<size_t>(n));
      size_t head = request_.find("\r\n\r\n");
      if (want == std::string::npos && head != std::string::npos) {
        size_t cl = request_.find("Content-Length: ");
        want = head + 4 + (cl < head ? std::stoul(request_.substr(cl + 16)) : 0);
      }
    }
    std::this_thread::sleep_for(delay);
    ::send(c.get(), answer.data(), answer.size(), MSG_NOSIGNAL);
  }

  UniqueFd listener_;
  uint16_t port_ = 0;
  std::string request_;
  std::thread thread_;
};

}  // namespace oj::http_test
