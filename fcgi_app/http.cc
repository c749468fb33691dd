#include "fcgi_app/http.h"

#include <nlohmann/json.hpp>

namespace oj {

std::string StatusReason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

std::string SerializeResponse(const Response& r) {
  std::string out = "Status: " + std::to_string(r.status) + " " + StatusReason(r.status) + "\r\n";
  if (r.status != 304) out += "Content-Type: " + r.content_type + "\r\n";
  // Every answer is what its Content-Type says: a browser never guesses (an uploaded
  // archive's bytes never reach a body, but a log line does).
  out += "X-Content-Type-Options: nosniff\r\n";
  for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
  out += "\r\n";
  if (r.status != 304) out += r.body;
  return out;
}

std::string EncodeResponse(const Response& r) {
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [k, v] : r.headers) headers.push_back({k, v});
  nlohmann::json j = {{"status", r.status},
                      {"content_type", r.content_type},
                      {"headers", headers},
                      {"body", r.body}};
  return j.dump();
}

std::optional<Response> DecodeResponse(std::string_view encoded) {
  auto j = nlohmann::json::parse(encoded, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  try {
    Response r;
    r.status = j.at("status").get<int>();
    r.content_type = j.at("content_type").get<std::string>();
    r.body = j.at("body").get<std::string>();
    for (const auto& h : j.at("headers")) {
      r.headers.emplace_back(h.at(0).get<std::string>(), h.at(1).get<std::string>());
    }
    return r;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace oj
