// libFuzzer target for the multipart parser: arbitrary bodies in arbitrary chunks
// must never crash, hang, or grow memory; errors are fine.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fcgi_app/multipart.h"

namespace {
class Discard : public oj::MultipartSink {
 public:
  oj::Status OnPartBegin(const oj::PartInfo&) override { return oj::Status::Ok(); }
  oj::Status OnPartData(std::string_view) override { return oj::Status::Ok(); }
  oj::Status OnPartEnd() override { return oj::Status::Ok(); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // First byte: chunk size; the rest: the body, with boundary "B".
  size_t chunk = 1 + data[0] % 64;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  Discard sink;
  oj::MultipartParser parser("B", oj::MultipartLimits(), &sink);
  for (size_t i = 0; i < body.size(); i += chunk) {
    if (!parser.Feed(body.substr(i, chunk)).ok()) return 0;
  }
  (void)parser.Finish();
  return 0;
}
