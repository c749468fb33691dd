#include "fcgi_app/multipart.h"

#include <gtest/gtest.h>

#include <vector>

namespace oj {
namespace {

struct Part {
  PartInfo info;
  std::string data;
};

class Collect : public MultipartSink {
 public:
  Status OnPartBegin(const PartInfo& p) override {
    parts.push_back({p, ""});
    return Status::Ok();
  }
  Status OnPartData(std::string_view d) override {
    parts.back().data.append(d);
    return Status::Ok();
  }
  Status OnPartEnd() override { return Status::Ok(); }
  std::vector<Part> parts;
};

Status ParseInChunks(const std::string& body, size_t chunk, Collect* c,
                     MultipartLimits limits = MultipartLimits()) {
  MultipartParser p("XyZ", limits, c);
  for (size_t i = 0; i < body.size(); i += chunk) {
    Status s = p.Feed(std::string_view(body).substr(i, chunk));
    if (!s.ok()) return s;
  }
  return p.Finish();
}

const std::string kGood =
    "--XyZ\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nAbCd1234\r\n"
    "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/passwd\"\r\n"
    "Content-Type: application/octet-stream\r\n\r\n\r\n--XyZ-not-a-boundary\r\n\x00\xff\r\n"
    "--XyZ--\r\n";

TEST(MultipartTest, ParsesAtEveryChunkSize) {
  for (size_t chunk : {1, 3, 7, 20, 64, 100000}) {
    Collect c;
    Status s = ParseInChunks(std::string(kGood.data(), kGood.size()), chunk, &c);
    // "--XyZ-not-a-boundary" after CRLF looks like a delimiter followed by garbage:
    // RFC 2046 forbids the boundary inside content, so this body is malformed.
    ASSERT_FALSE(s.ok()) << chunk;
  }
  const std::string body =
      "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nAbCd1234\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b.tar\"\r\n\r\n"
      "\r\nline\r\n-XyZ\r\n-- XyZ\r\n"
      "\r\n--XyZ--\r\nepilogue";
  for (size_t chunk : {1, 3, 7, 20, 64, 100000}) {
    Collect c;
    Status s = ParseInChunks(body, chunk, &c);
    ASSERT_TRUE(s.ok()) << chunk << ": " << s.message();
    ASSERT_EQ(c.parts.size(), 2u);
    EXPECT_EQ(c.parts[0].info.name, "token");
    EXPECT_EQ(c.parts[0].data, "AbCd1234");
    EXPECT_FALSE(c.parts[0].info.has_filename);
    EXPECT_EQ(c.parts[1].info.name, "file");
    EXPECT_TRUE(c.parts[1].info.has_filename);
    EXPECT_EQ(c.parts[1].data, "\r\nline\r\n-XyZ\r\n-- XyZ\r\n");
  }
}

TEST(MultipartTest, HeadersSplitAtEveryOffset) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"module\"\r\n\r\nPA1\r\n--XyZ--\r\n";
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    Collect c;
    MultipartParser p("XyZ", MultipartLimits(), &c);
    ASSERT_TRUE(p.Feed(body.substr(0, cut)).ok()) << cut;
    ASSERT_TRUE(p.Feed(body.substr(cut)).ok()) << cut;
    ASSERT_TRUE(p.Finish().ok()) << cut;
    ASSERT_EQ(c.parts.size(), 1u);
    EXPECT_EQ(c.parts[0].data, "PA1");
  }
}

struct BadBody {
  const char* what;
  std::string body;
};

TEST(MultipartTest, HostileBodiesAreRejected) {
  const std::string cd = "Content-Disposition: form-data; name=\"token\"\r\n";
  std::vector<BadBody> cases = {
      {"folded header", "--XyZ\r\n" + cd + " continued\r\n\r\nx\r\n--XyZ--\r\n"},
      {"tab-folded header", "--XyZ\r\n" + cd + "\tcontinued\r\n\r\nx\r\n--XyZ--\r\n"},
      {"missing closing boundary", "--XyZ\r\n" + cd + "\r\nx\r\n"},
      {"header then closing boundary", "--XyZ\r\n" + cd + "--XyZ--\r\n"},
      {"boundary never appears", std::string(10000, 'a')},
      {"thousands of parts",
       [&] {
         std::string b;
         for (int i = 0; i < 5000; ++i) b += "--XyZ\r\n" + cd + "\r\nx\r\n";
         return b + "--XyZ--\r\n";
       }()},
      {"long header line", "--XyZ\r\n" + std::string(100000, 'h')},
      {"huge preamble", std::string(1 << 20, 'p') + "\r\n--XyZ\r\n" + cd + "\r\nx\r\n--XyZ--\r\n"},
      {"huge epilogue", "--XyZ\r\n" + cd + "\r\nx\r\n--XyZ--\r\n" + std::string(1 << 20, 'e')},
      {"no disposition", "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--\r\n"},
      {"not form-data",
       "--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ--\r\n"},
      {"no name", "--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--\r\n"},
      {"bare LF in headers", "--XyZ\n" + cd + "\n\nx\n--XyZ--\n"},
      {"garbage after boundary", "--XyZ garbage\r\n" + cd + "\r\nx\r\n--XyZ--\r\n"},
      {"empty body", ""},
      {"closing boundary only", "--XyZ--\r\n"},
      {"unterminated quote",
       "--XyZ\r\nContent-Disposition: form-data; name=\"tok\r\n\r\nx\r\n--XyZ--\r\n"},
      {"header without colon", "--XyZ\r\n" + cd + "garbage\r\n\r\nx\r\n--XyZ--\r\n"},
      {"two dispositions", "--XyZ\r\n" + cd + cd + "\r\nx\r\n--XyZ--\r\n"},
  };
  for (const BadBody& bc : cases) {
    for (size_t chunk : {1, 7, 65536}) {
      if (chunk == 1 && bc.body.size() > 100000) continue;
      Collect c;
      Status s = ParseInChunks(bc.body, chunk, &c);
      EXPECT_FALSE(s.ok()) << bc.what << " chunk " << chunk;
      EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << bc.what;
      EXPECT_FALSE(s.message().empty());
    }
  }
}

TEST(MultipartTest, BoundaryFromContentType) {
  EXPECT_EQ(*BoundaryFromContentType("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(*BoundaryFromContentType("Multipart/Form-Data; charset=x; boundary=\"a b;c\""),
            "a b;c");
  EXPECT_FALSE(BoundaryFromContentType("text/plain").ok());
  EXPECT_FALSE(BoundaryFromContentType("multipart/form-data").ok());
  EXPECT_FALSE(BoundaryFromContentType("multipart/form-data; boundary=").ok());
  EXPECT_FALSE(
      BoundaryFromContentType("multipart/form-data; boundary=" + std::string(71, 'a')).ok());
  EXPECT_FALSE(BoundaryFromContentType("").ok());
}

class Refuse : public Collect {
 public:
  Status OnPartData(std::string_view) override { return Status::ResourceExhausted("too big"); }
};

TEST(MultipartTest, SinkErrorsPassThroughAndStick) {
  Refuse r;
  MultipartParser p("XyZ", MultipartLimits(), &r);
  Status s = p.Feed("--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" +
                    std::string(1000, 'x'));
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(p.Feed("more").code(), Status::Code::kResourceExhausted);
  EXPECT_FALSE(p.Finish().ok());
}

}  // namespace
}  // namespace oj
