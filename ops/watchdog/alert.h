// One alert message and how it is written: the plain text line (mail, command,
// {{message}}) and the JSON webhook body rendered from the configured template.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace oj::watchdog {

struct Alert {
  std::string check;      // e.g. health_probe, psi_memory_some
  std::string state;      // firing, repeat, resolved
  std::string detail;     // what was seen, e.g. "/healthz answered 503: database unreachable"
  std::string value;      // the measured value, as text
  std::string threshold;  // the threshold, as text
  std::string host;       // this host's name
  std::string time;       // ISO 8601, when the state changed
};

// "[oj FIRING] health_probe on host1: /healthz answered 503 ... (value 503, threshold 200)"
std::string AlertText(const Alert& a);

// Replaces {{message}}, {{check}}, {{state}}, {{detail}}, {{value}}, {{threshold}},
// {{host}}, {{time}} with the alert's fields, JSON-escaped (the template is JSON and the
// placeholders sit inside its strings). An unknown or unclosed placeholder is an error.
Result<std::string> RenderTemplate(std::string_view tmpl, const Alert& a);

// Checks a template at startup: it renders, and the result is one JSON value.
Status ValidateTemplate(std::string_view tmpl);

// JSON string escaping without the surrounding quotes.
std::string JsonEscape(std::string_view s);

}  // namespace oj::watchdog
