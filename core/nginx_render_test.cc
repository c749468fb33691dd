#include "core/nginx_render.h"

#include <gtest/gtest.h>

namespace oj {
namespace {

TEST(RenderTemplateTest, SubstitutesAndRejectsUnknowns) {
  auto r = RenderTemplate("a {{x}} b {{y}}", {{"x", "1"}, {"y", "2"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "a 1 b 2");
  auto bad = RenderTemplate("a {{z}}", {{"x", "1"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'z'"), std::string::npos);
  EXPECT_FALSE(RenderTemplate("a {{x", {{"x", "1"}}).ok());
}

TEST(NginxRenderTest, LimitsComeFromTheConfig) {
  auto c = ParseConfig(
      "[upload]\nmax_body_bytes = 1048576\n[server]\nport = 18080\n"
      "metrics_allow = [\"127.0.0.1\", \"10.0.0.0/8\"]\n[rate]\nmicrocache_s = 0\n",
      "/srv");
  ASSERT_TRUE(c.ok());
  auto conf = RenderNginxConfig(*c, false);
  ASSERT_TRUE(conf.ok()) << conf.status().ToString();
  EXPECT_NE(conf->find("client_max_body_size 1048576;"), std::string::npos);
  EXPECT_NE(conf->find("listen 127.0.0.1:18080"), std::string::npos);
  EXPECT_NE(conf->find("allow 10.0.0.0/8;"), std::string::npos);
  EXPECT_EQ(conf->find("fastcgi_cache oj_pages;"), std::string::npos);
  EXPECT_EQ(conf->find("\nuser "), std::string::npos);
  EXPECT_EQ(conf->find("fastcgi_keep_conn on"), std::string::npos);
}

TEST(NginxRenderTest, DefaultsRenderTheSpecLines) {
  auto c = ParseConfig("", "/srv");
  ASSERT_TRUE(c.ok());
  auto conf = RenderNginxConfig(*c, true);
  ASSERT_TRUE(conf.ok());
  EXPECT_NE(conf->find("client_max_body_size 12582912;"), std::string::npos);
  EXPECT_NE(conf->find("return 413 \"[FAIL ✗] File is too large!\\n\";"), std::string::npos);
  EXPECT_NE(conf->find("fastcgi_cache oj_pages;"), std::string::npos);
  EXPECT_NE(conf->find("fastcgi_cache_key $request_uri;"), std::string::npos);
  EXPECT_NE(conf->find("fastcgi_cache_lock_timeout 50ms;"), std::string::npos);
  EXPECT_NE(conf->find("fastcgi_cache_use_stale updating"), std::string::npos);
  EXPECT_EQ(conf->find("fastcgi_cache_background_update on"), std::string::npos);
  EXPECT_NE(conf->find("\nuser www-data oj;\n"), std::string::npos);  // never root workers
  EXPECT_EQ(conf->find("user root"), std::string::npos);
  EXPECT_EQ(conf->find("{{"), std::string::npos);
}

TEST(NginxRenderTest, ArchiveLocationIsSignedAndLimitedToTheJudgeNetwork) {
  auto c = ParseConfig(
      "[server]\narchive_allow = [\"198.18.0.0/15\"]\n"
      "[paths]\nkeys_dir = \"/srv/keys\"\nstorage_dir = \"/srv/st\"\n",
      "/srv");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto conf = RenderNginxConfig(*c, false);
  ASSERT_TRUE(conf.ok()) << conf.status().ToString();
  size_t loc = conf->find("location /archive/ {");
  ASSERT_NE(loc, std::string::npos);
  std::string block = conf->substr(loc, conf->find("\n    }\n", loc) - loc);
  EXPECT_NE(block.find("allow 198.18.0.0/15;"), std::string::npos);
  EXPECT_NE(block.find("deny all;"), std::string::npos);
  EXPECT_EQ(block.find("allow 127.0.0.1;"), std::string::npos);
  EXPECT_NE(block.find("secure_link $arg_md5,$arg_expires;"), std::string::npos);
  EXPECT_NE(block.find("include /srv/keys/archive-link*.nginx;"), std::string::npos);
  EXPECT_NE(block.find("alias /srv/st/;"), std::string::npos);
  EXPECT_NE(block.find("autoindex off;"), std::string::npos);
  EXPECT_NE(block.find("sendfile on;"), std::string::npos);
  EXPECT_EQ(block.find("secure_link_md5"), std::string::npos);  // the secret stays in keys_dir
}

}  // namespace
}  // namespace oj
