// HTTP/1.1 parsing: heads, framing, chunked bodies, limits.
#include "server/http_parse.h"

#include <gtest/gtest.h>

namespace fw::server {
namespace {

TEST(ServerHttpParse, RequestHeadAndFraming) {
  HttpRequest r;
  size_t head = 0;
  ParseError e;
  const std::string msg = "POST /v1/x?y=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nX-A:  b \r\n\r\nabc";
  ASSERT_EQ(ParseRequestHead(msg, r, head, e), ParseResult::kDone);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/v1/x");
  EXPECT_EQ(r.query, "y=1");
  EXPECT_EQ(r.Header("x-a"), "b");
  EXPECT_EQ(msg.substr(head), "abc");
  BodyFraming f;
  ASSERT_TRUE(RequestFraming(r.headers, f, e));
  EXPECT_EQ(f.kind, BodyFraming::Kind::kLength);
  EXPECT_EQ(f.length, 3u);
  EXPECT_EQ(ParseRequestHead("GET / HTTP/1.1\r\nHost: a\r\n", r, head, e), ParseResult::kNeedMore);
}

TEST(ServerHttpParse, RejectsMalformedHeads) {
  const char* bad[] = {"GET\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "GET x HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
                       "GET / HTTP/1.1\r\n folded\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n", "GET /a b HTTP/1.1\r\n\r\n"};
  for (const char* b : bad) {
    HttpRequest r;
    size_t head = 0;
    ParseError e;
    EXPECT_EQ(ParseRequestHead(b, r, head, e), ParseResult::kError) << b;
    EXPECT_GE(e.status, 400);
  }
  HttpRequest r;
  size_t head = 0;
  ParseError e;
  EXPECT_EQ(ParseRequestHead("GET / HTTP/1.1\r\nA: " + std::string(70000, 'x'), r, head, e), ParseResult::kError);
  EXPECT_EQ(e.status, 431);
  BodyFraming f;
  EXPECT_FALSE(RequestFraming({{"content-length", "12x"}}, f, e));
  EXPECT_FALSE(RequestFraming({{"content-length", "1"}, {"content-length", "2"}}, f, e));
  EXPECT_FALSE(RequestFraming({{"transfer-encoding", "gzip"}}, f, e));
  EXPECT_EQ(e.status, 501);
}

TEST(ServerHttpParse, ChunkedBodies) {
  std::string out;
  size_t used = 0;
  ParseError e;
  const std::string body = "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\nNEXT";
  ASSERT_EQ(DecodeChunked(body, out, used, 100, e), ParseResult::kDone);
  EXPECT_EQ(out, "abcde");
  EXPECT_EQ(body.substr(used), "NEXT");
  EXPECT_EQ(DecodeChunked("3\r\nab", out, used, 100, e), ParseResult::kNeedMore);
  EXPECT_EQ(DecodeChunked("zz\r\n", out, used, 100, e), ParseResult::kError);
  EXPECT_EQ(DecodeChunked("3\r\nabcX\r\n", out, used, 100, e), ParseResult::kError);
  EXPECT_EQ(DecodeChunked("ffff\r\n", out, used, 100, e), ParseResult::kError);
  EXPECT_EQ(e.status, 413);
  std::string stream = "2\r\nab\r\n1\r\n";
  std::string got;
  EXPECT_EQ(DecodeChunkedStream(stream, got, e), ParseResult::kNeedMore);
  EXPECT_EQ(got, "ab");
  stream += "c\r\n0\r\n\r\n";
  EXPECT_EQ(DecodeChunkedStream(stream, got, e), ParseResult::kDone);
  EXPECT_EQ(got, "abc");
}

TEST(ServerHttpParse, ResponseHead) {
  HttpResponse r;
  size_t head = 0;
  ParseError e;
  ASSERT_EQ(ParseResponseHead("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", r, head, e), ParseResult::kDone);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ParseResponseHead("HTTP/1.1 4x4 Hm\r\n\r\n", r, head, e), ParseResult::kError);
}

}  // namespace
}  // namespace fw::server
