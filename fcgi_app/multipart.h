// A streaming multipart/form-data parser (RFC 7578 / RFC 2046), written as a
// resumable state machine in the manner of nginx's request parser: feed it any
// chunking of the body and it calls the sink as parts begin, carry data and end.
//
// Bounded in everything an attacker controls (parts, header bytes, line length,
// preamble, epilogue); buffers at most one chunk plus a delimiter's worth of bytes;
// linear in the body size. Errors are Status::InvalidArgument with a short reason
// suitable for "[FAIL ✗] Malformed upload: <reason>". Sink errors pass through.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace oj {

struct MultipartLimits {
  size_t max_parts = 16;                // parts in one body
  size_t max_part_header_bytes = 4096;  // all header lines of one part
  size_t max_line_bytes = 1024;         // one header line
  size_t max_preamble_bytes = 4096;     // before the first boundary
  size_t max_epilogue_bytes = 4096;     // after the closing boundary
};

struct PartInfo {
  std::string name;           // Content-Disposition name
  bool has_filename = false;  // a filename parameter was present (its value is ignored)
  std::string content_type;   // as sent, may be empty
};

class MultipartSink {
 public:
  virtual ~MultipartSink() = default;
  virtual Status OnPartBegin(const PartInfo& part) = 0;
  virtual Status OnPartData(std::string_view data) = 0;
  virtual Status OnPartEnd() = 0;
};

// Extracts the boundary from a Content-Type header value; InvalidArgument when the
// type is not multipart/form-data or the boundary is missing, empty or over 70 bytes.
Result<std::string> BoundaryFromContentType(std::string_view content_type);

// Parses `form-data; name="x"; filename="y"`; InvalidArgument if not form-data or no name.
Result<PartInfo> ParseContentDisposition(std::string_view value);

class MultipartParser {
 public:
  MultipartParser(std::string_view boundary, MultipartLimits limits, MultipartSink* sink);

  // Feeds the next chunk of the body. After an error the parser stays failed.
  Status Feed(std::string_view chunk);
  // The body ended: ok only if the closing boundary was seen.
  Status Finish();
  size_t parts() const { return parts_; }

 private:
  enum class State { kPreamble, kAfterDelimiter, kHeaders, kBody, kEpilogue, kFailed };

  Status Fail(Status s);
  Status Step(bool* progressed);
  Status ParseHeaderLine(std::string_view line);
  Status BeginPart();

  std::string delimiter_;  // "\r\n--" + boundary
  MultipartLimits limits_;
  MultipartSink* sink_;
  State state_ = State::kPreamble;
  std::string pending_;  // bytes received but not yet consumed
  size_t preamble_bytes_ = 0;
  size_t epilogue_bytes_ = 0;
  size_t header_bytes_ = 0;
  size_t parts_ = 0;
  bool seen_disposition_ = false;
  PartInfo part_;
  Status error_;
};

}  // namespace oj
