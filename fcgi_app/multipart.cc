#include "fcgi_app/multipart.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace oj {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits `type; k=v; k="v"` parameters. Quoted values may contain ';' and \-escapes.
struct Param {
  std::string key;
  std::string value;
};

Result<std::vector<Param>> ParseParams(std::string_view s) {
  std::vector<Param> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ';')) ++i;
    if (i >= s.size()) break;
    size_t eq = i;
    while (eq < s.size() && s[eq] != '=' && s[eq] != ';') ++eq;
    Param p;
    p.key = Lower(Trim(s.substr(i, eq - i)));
    if (eq >= s.size() || s[eq] == ';') {
      out.push_back(std::move(p));  // bare token, e.g. "form-data"
      i = eq;
      continue;
    }
    i = eq + 1;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '\\' && i < s.size()) {
          p.value.push_back(s[i++]);
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          p.value.push_back(c);
        }
      }
      if (!closed) return Status::InvalidArgument("unterminated quoted parameter");
    } else {
      size_t end = s.find(';', i);
      if (end == std::string_view::npos) end = s.size();
      p.value = std::string(Trim(s.substr(i, end - i)));
      i = end;
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

Result<std::string> BoundaryFromContentType(std::string_view content_type) {
  auto params = ParseParams(content_type);
  if (!params.ok() || params->empty() || (*params)[0].key != "multipart/form-data") {
    return Status::InvalidArgument("not multipart/form-data");
  }
  for (size_t i = 1; i < params->size(); ++i) {
    if ((*params)[i].key == "boundary") {
      const std::string& b = (*params)[i].value;
      if (b.empty() || b.size() > 70) return Status::InvalidArgument("bad boundary");
      for (char c : b) {
        if (c == '\r' || c == '\n') return Status::InvalidArgument("bad boundary");
      }
      return b;
    }
  }
  return Status::InvalidArgument("no boundary");
}

Result<PartInfo> ParseContentDisposition(std::string_view value) {
  auto params = ParseParams(value);
  if (!params.ok()) return params.status();
  if (params->empty() || (*params)[0].key != "form-data" || !(*params)[0].value.empty()) {
    return Status::InvalidArgument("part is not form-data");
  }
  PartInfo info;
  bool has_name = false;
  for (size_t i = 1; i < params->size(); ++i) {
    const Param& p = (*params)[i];
    if (p.key == "name") {
      if (has_name) return Status::InvalidArgument("part has two names");
      info.name = p.value;
      has_name = true;
    } else if (p.key == "filename" || p.key == "filename*") {
      info.has_filename = true;
    }
  }
  if (!has_name || info.name.empty()) return Status::InvalidArgument("part without a name");
  return info;
}

MultipartParser::MultipartParser(std::string_view boundary, MultipartLimits limits,
                                 MultipartSink* sink)
    : delimiter_("\r\n--" + std::string(boundary)), limits_(limits), sink_(sink) {
  // The first boundary has no CRLF before it; pretend it had one so every
  // delimiter looks alike.
  pending_ = "\r\n";
}

Status MultipartParser::Fail(Status s) {
  state_ = State::kFailed;
  error_ = s;
  pending_.clear();
  pending_.shrink_to_fit();
  return s;
}

Status MultipartParser::Feed(std::string_view chunk) {
  if (state_ == State::kFailed) return error_;
  if (state_ == State::kEpilogue) {
    epilogue_bytes_ += chunk.size();
    if (epilogue_bytes_ > limits_.max_epilogue_bytes)
      return Fail(Status::InvalidArgument("epilogue too long"));
    return Status::Ok();
  }
  pending_.append(chunk.data(), chunk.size());
  bool progressed = true;
  while (progressed && state_ != State::kFailed) {
    progressed = false;
    Status s = Step(&progressed);
    if (!s.ok()) return Fail(s);
  }
  return Status::Ok();
}

Status MultipartParser::Finish() {
  if (state_ == State::kFailed) return error_;
  if (state_ == State::kEpilogue) return Status::Ok();
  if (state_ == State::kPreamble) return Fail(Status::InvalidArgument("boundary not found"));
  return Fail(Status::InvalidArgument("closing boundary missing"));
}

Status MultipartParser::BeginPart() {
  if (++parts_ > limits_.max_parts) return Status::InvalidArgument("too many parts");
  header_bytes_ = 0;
  seen_disposition_ = false;
  part_ = PartInfo();
  return Status::Ok();
}

Status MultipartParser::ParseHeaderLine(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') {
    return Status::InvalidArgument("folded part header");
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status::InvalidArgument("bad part header");
  }
  std::string name = Lower(line.substr(0, colon));
  for (char c : name) {
    if (c <= ' ' || c >= 127) return Status::InvalidArgument("bad part header");
  }
  std::string_view value = Trim(line.substr(colon + 1));
  if (name == "content-disposition") {
    if (seen_disposition_) return Status::InvalidArgument("two Content-Disposition headers");
    auto info = ParseContentDisposition(value);
    if (!info.ok()) return info.status();
    part_.name = info->name;
    part_.has_filename = info->has_filename;
    seen_disposition_ = true;
  } else if (name == "content-type") {
    part_.content_type = std::string(value);
  }
  return Status::Ok();
}

Status MultipartParser::Step(bool* progressed) {
  switch (state_) {
    case State::kPreamble: {
      size_t at = pending_.find(delimiter_);
      if (at == std::string::npos) {
        // Keep a possible delimiter prefix; the rest is preamble, discarded.
        size_t keep = std::min(pending_.size(), delimiter_.size() - 1);
        preamble_bytes_ += pending_.size() - keep;
        pending_.erase(0, pending_.size() - keep);
        if (preamble_bytes_ > limits_.max_preamble_bytes) {
          return Status::InvalidArgument("preamble too long");
        }
        return Status::Ok();
      }
      preamble_bytes_ += at;
      if (preamble_bytes_ > limits_.max_preamble_bytes + 2) {
        return Status::InvalidArgument("preamble too long");
      }
      pending_.erase(0, at + delimiter_.size());
      state_ = State::kAfterDelimiter;
      *progressed = true;
      return Status::Ok();
    }
    case State::kAfterDelimiter: {
      if (pending_.size() < 2) return Status::Ok();
      if (pending_.compare(0, 2, "--") == 0) {
        if (parts_ == 0) return Status::InvalidArgument("no parts");
        epilogue_bytes_ = pending_.size() - 2;
        pending_.clear();
        if (epilogue_bytes_ > limits_.max_epilogue_bytes) {
          return Status::InvalidArgument("epilogue too long");
        }
        state_ = State::kEpilogue;
        *progressed = true;
        return Status::Ok();
      }
      // RFC 2046 transport padding: optional whitespace, then CRLF.
      size_t i = 0;
      while (i < pending_.size() && i <= 64 && (pending_[i] == ' ' || pending_[i] == '\t')) ++i;
      if (i > 64) return Status::InvalidArgument("garbage after boundary");
      if (pending_.size() < i + 2) return Status::Ok();
      if (pending_.compare(i, 2, "\r\n") != 0) {
        return Status::InvalidArgument("garbage after boundary");
      }
      pending_.erase(0, i + 2);
      Status s = BeginPart();
      if (!s.ok()) return s;
      state_ = State::kHeaders;
      *progressed = true;
      return Status::Ok();
    }
    case State::kHeaders: {
      size_t eol = pending_.find("\r\n");
      size_t scan = eol == std::string::npos ? pending_.size() : eol;
      if (scan > limits_.max_line_bytes) return Status::InvalidArgument("header line too long");
      if (pending_.find('\n', 0) < scan) return Status::InvalidArgument("bare LF in part header");
      if (eol == std::string::npos) return Status::Ok();
      header_bytes_ += eol + 2;
      if (header_bytes_ > limits_.max_part_header_bytes) {
        return Status::InvalidArgument("part headers too long");
      }
      if (eol == 0) {
        if (!seen_disposition_) return Status::InvalidArgument("part without Content-Disposition");
        pending_.erase(0, 2);
        Status s = sink_->OnPartBegin(part_);
        if (!s.ok()) return s;
        state_ = State::kBody;
        *progressed = true;
        return Status::Ok();
      }
      Status s = ParseHeaderLine(std::string_view(pending_).substr(0, eol));
      if (!s.ok()) return s;
      pending_.erase(0, eol + 2);
      *progressed = true;
      return Status::Ok();
    }
    case State::kBody: {
      size_t at = pending_.find(delimiter_);
      if (at == std::string::npos) {
        size_t keep = std::min(pending_.size(), delimiter_.size() - 1);
        size_t emit = pending_.size() - keep;
        if (emit > 0) {
          Status s = sink_->OnPartData(std::string_view(pending_).substr(0, emit));
          if (!s.ok()) return s;
          pending_.erase(0, emit);
        }
        return Status::Ok();
      }
      if (at > 0) {
        Status s = sink_->OnPartData(std::string_view(pending_).substr(0, at));
        if (!s.ok()) return s;
      }
      Status s = sink_->OnPartEnd();
      if (!s.ok()) return s;
      pending_.erase(0, at + delimiter_.size());
      state_ = State::kAfterDelimiter;
      *progressed = true;
      return Status::Ok();
    }
    case State::kEpilogue:
    case State::kFailed:
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace oj
