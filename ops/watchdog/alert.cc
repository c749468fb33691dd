#include "ops/watchdog/alert.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace oj::watchdog {

std::string AlertText(const Alert& a) {
  std::string state = a.state;
  std::transform(state.begin(), state.end(), state.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  std::string s = "[oj " + state + "] " + a.check + " on " + a.host + ": " + a.detail;
  if (!a.value.empty()) s += " (value " + a.value + ", threshold " + a.threshold + ")";
  return s;
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out;
}

Result<std::string> RenderTemplate(std::string_view tmpl, const Alert& a) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t open = tmpl.find("{{", i);
    if (open == std::string_view::npos) {
      out.append(tmpl.substr(i));
      break;
    }
    out.append(tmpl.substr(i, open - i));
    size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("webhook template: '{{' without '}}' at offset " +
                                     std::to_string(open));
    }
    std::string_view key = tmpl.substr(open + 2, close - open - 2);
    std::string value;
    if (key == "message")
      value = AlertText(a);
    else if (key == "check")
      value = a.check;
    else if (key == "state")
      value = a.state;
    else if (key == "detail")
      value = a.detail;
    else if (key == "value")
      value = a.value;
    else if (key == "threshold")
      value = a.threshold;
    else if (key == "host")
      value = a.host;
    else if (key == "time")
      value = a.time;
    else {
      return Status::InvalidArgument("webhook template: unknown placeholder {{" + std::string(key) +
                                     "}} (known: message, check, state, detail, value, "
                                     "threshold, host, time)");
    }
    out += JsonEscape(value);
    i = close + 2;
  }
  return out;
}

Status ValidateTemplate(std::string_view tmpl) {
  Alert sample{"health_probe", "firing", "a \"quoted\"\nline", "503", "200", "host", "t"};
  auto body = RenderTemplate(tmpl, sample);
  if (!body.ok()) return body.status();
  if (!nlohmann::json::accept(*body)) {
    return Status::InvalidArgument("webhook template does not render to valid JSON: " + *body);
  }
  return Status::Ok();
}

}  // namespace oj::watchdog
