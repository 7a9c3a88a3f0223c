// Body framing from untrusted headers, and the client's URL parsing: what we parse ourselves
// now that the HTTP library parses the messages.
#include "server/request_framing.h"

#include <gtest/gtest.h>

#include "server/http_client.h"

namespace fw::server {
namespace {

TEST(ServerRequestFraming, LengthChunkedOrNone) {
  BodyFraming f = RequestBodyFraming({{"Content-Length", " 42 "}});
  EXPECT_EQ(f.error_status, 0);
  EXPECT_EQ(f.kind, BodyFraming::Kind::kLength);
  EXPECT_EQ(f.length, 42u);
  EXPECT_EQ(RequestBodyFraming({{"content-length", "0"}}).kind, BodyFraming::Kind::kNone);
  EXPECT_EQ(RequestBodyFraming({}).kind, BodyFraming::Kind::kNone);
  EXPECT_EQ(RequestBodyFraming({{"Transfer-Encoding", "Chunked"}}).kind, BodyFraming::Kind::kChunked);
  // The same length twice is one length.
  EXPECT_EQ(RequestBodyFraming({{"Content-Length", "5"}, {"content-length", "5"}}).length, 5u);
  EXPECT_EQ(RequestBodyFraming({{"Content-Length", "9999999999999999999"}}).length, 9999999999999999999ull);
}

TEST(ServerRequestFraming, RefusesWhatCouldBeFramedTwoWays) {
  const HttpHeaders bad400[] = {{{"Content-Length", "1"}, {"Content-Length", "2"}},
                                {{"Content-Length", "12x"}},
                                {{"Content-Length", "+1"}},
                                {{"Content-Length", ""}},
                                {{"Content-Length", "1 2"}},
                                {{"Content-Length", "99999999999999999999"}},  // 20 digits: beyond 64 bits
                                {{"Transfer-Encoding", "chunked"}, {"Content-Length", "3"}}};
  for (const auto& h : bad400) {
    const BodyFraming f = RequestBodyFraming(h);
    EXPECT_EQ(f.error_status, 400) << h[0].second;
    EXPECT_FALSE(f.error.empty());
  }
  EXPECT_EQ(RequestBodyFraming({{"Transfer-Encoding", "gzip"}}).error_status, 501);
  EXPECT_EQ(RequestBodyFraming({{"Transfer-Encoding", "gzip, chunked"}}).error_status, 501);
  EXPECT_EQ(RequestBodyFraming({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}).error_status, 501);
}

TEST(ServerHttpUrl, HostsPortsAndErrors) {
  auto u = ParseHttpUrl("http://example.org:8080/v1");
  ASSERT_TRUE(u.ok()) << u.message();
  EXPECT_EQ(u->host, "example.org");
  EXPECT_EQ(u->port, 8080);
  u = ParseHttpUrl("localhost");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 11434);
  u = ParseHttpUrl("http://[::1]:9000");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9000);
  for (const char* bad : {"https://x", "http://", "x:0", "x:65536", "x:12ab", "[::1", ""}) EXPECT_FALSE(ParseHttpUrl(bad).ok()) << bad;
}

TEST(ServerHttpMessage, HeaderLookupIgnoresCase) {
  const HttpHeaders h = {{"Content-Type", "a"}, {"x-b", "b"}};
  EXPECT_EQ(FindHeader(h, "content-type"), "a");
  EXPECT_EQ(FindHeader(h, "X-B"), "b");
  EXPECT_EQ(FindHeader(h, "x-c"), "");
}

}  // namespace
}  // namespace fw::server
