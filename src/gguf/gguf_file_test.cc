// GGUF reader/writer tests: real files of every version from ../shared, and synthetic
// corruptions of every kind the validator must reject without reading out of bounds.
#include "gguf/gguf_file.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/test_data.h"
#include "gguf/gguf_writer.h"

namespace fw {
namespace {

std::unique_ptr<GgufFile> MustOpen(const std::string& path) {
  auto f = GgufFile::Open(path);
  EXPECT_TRUE(f.ok()) << path << ": " << f.message();
  return f.ok() ? std::move(f).value() : nullptr;
}

Result<std::unique_ptr<GgufFile>> ParseBytes(const std::vector<uint8_t>& b) {
  return GgufFile::Parse(b.data(), b.size());
}

// A small valid file: a few keys of every scalar type, a nested array, two tensors.
GgufWriter SmallWriter() {
  GgufWriter w;
  w.Set("general.architecture", GgufValue::String("llama"));
  w.Set("test.u8", GgufValue::U8(200));
  w.Set("test.i8", GgufValue::I8(-100));
  w.Set("test.u16", GgufValue::U16(60000));
  w.Set("test.i16", GgufValue::I16(-30000));
  w.Set("test.u32", GgufValue::U32(4000000000u));
  w.Set("test.i32", GgufValue::I32(-2000000000));
  w.Set("test.u64", GgufValue::U64(1ull << 60));
  w.Set("test.i64", GgufValue::I64(-(1ll << 60)));
  w.Set("test.f32", GgufValue::F32(1.5f));
  w.Set("test.f64", GgufValue::F64(-2.25));
  w.Set("test.bool", GgufValue::Bool(true));
  w.Set("test.strings", GgufValue::StringArray({"a", "", "ccc"}));
  w.Set("test.nested", GgufValue::Array(GgufValueType::ARRAY,
                                        {GgufValue::I32Array({1, 2}), GgufValue::I32Array({3})}));
  static const std::vector<float> a(64, 1.0f);
  static const std::vector<uint8_t> q(2 * 34, 7);  // two Q8_0 blocks
  EXPECT_TRUE(w.AddTensor("a", GgmlType::F32, {16, 4}, a.data(), a.size() * 4).ok());
  EXPECT_TRUE(w.AddTensor("q", GgmlType::Q8_0, {64}, q.data(), q.size()).ok());
  return w;
}

TEST(Gguf, ReadsEveryVersion) {
  FW_REQUIRE_SHARED_FILE(v3, "models/stories260K.gguf");
  FW_REQUIRE_SHARED_FILE(v1, "models/stories260K-gguf-v1.gguf");
  FW_REQUIRE_SHARED_FILE(q4, "models/TinyLLama-v0-Q4_0.gguf");
  auto a = MustOpen(v3);
  auto b = MustOpen(v1);
  auto c = MustOpen(q4);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->version(), 3u);
  EXPECT_EQ(b->version(), 1u);
  EXPECT_EQ(a->alignment(), 32u);  // no general.alignment key: the default
  EXPECT_EQ(a->GetU32("llama.embedding_length").value(), 64u);
  EXPECT_EQ(a->GetU32("llama.block_count").value(), 5u);
  EXPECT_EQ(a->GetU32("llama.attention.head_count").value(), 8u);
  EXPECT_EQ(a->GetU32("llama.attention.head_count_kv").value(), 4u);
  EXPECT_EQ(a->GetU32("llama.feed_forward_length").value(), 172u);
  EXPECT_EQ(a->GetStringArray("tokenizer.ggml.tokens").value().size(), 512u);
  EXPECT_EQ(a->architecture(), "llama");
  // v1 and v3 hold the same model: identical tensors byte for byte.
  ASSERT_EQ(a->tensors().size(), b->tensors().size());
  for (const auto& t : a->tensors()) {
    const GgufTensorInfo* u = b->FindTensor(t.name);
    ASSERT_NE(u, nullptr) << t.name;
    EXPECT_EQ(u->type, t.type);
    EXPECT_EQ(std::memcmp(u->ne, t.ne, sizeof t.ne), 0);
    ASSERT_EQ(u->size_bytes, t.size_bytes);
    EXPECT_EQ(std::memcmp(u->data, t.data, t.size_bytes), 0) << t.name;
  }
  const GgufTensorInfo* emb = a->FindTensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->ne[0], 64);
  EXPECT_EQ(emb->ne[1], 512);
  // TinyLLama: Q4_0 tensors.
  const GgufTensorInfo* wq = c->FindTensor("blk.0.attn_q.weight");
  ASSERT_NE(wq, nullptr);
  EXPECT_EQ(wq->type, GgmlType::Q4_0);
}

TEST(Gguf, OpensEverySharedModelAndVocab) {
  FW_REQUIRE_SHARED_FILE(dir, "models");
  for (const char* name :
       {"models/llama-2-tiny-random.gguf", "models/tiny-llama-f32.gguf", "models/tiny-qwen2-f16.gguf",
        "models/quant-llama-f32.gguf", "models/quant-llama-Q2_K.gguf", "models/quant-llama-Q6_K.gguf",
        "models/quant-llama-mix-Q4_K_M.gguf", "vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-bert-bge.gguf"}) {
    const std::string p = SharedDataPath(name);
    ASSERT_FALSE(p.empty()) << name;
    EXPECT_NE(MustOpen(p), nullptr) << name;
  }
}

TEST(Gguf, RejectsRaggedRows) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K-q8_0-ragged-rows.gguf");
  auto f = GgufFile::Open(path);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.message().find("not a multiple of the q8_0 block size 32"), std::string::npos) << f.message();
  EXPECT_NE(f.message().find("at byte "), std::string::npos) << f.message();
}

TEST(Gguf, TypedAccessErrors) {
  std::vector<uint8_t> bytes = SmallWriter().WriteToBuffer();
  auto f = ParseBytes(bytes);
  ASSERT_TRUE(f.ok()) << f.message();
  const GgufFile& g = *f.value();
  EXPECT_EQ(g.GetU32("test.u8").value(), 200u);
  EXPECT_EQ(g.GetI64("test.i8").value(), -100);
  EXPECT_EQ(g.GetU32("test.u32").value(), 4000000000u);
  EXPECT_EQ(g.GetI64("test.i64").value(), -(1ll << 60));
  EXPECT_EQ(g.GetF32("test.f64").value(), -2.25f);
  EXPECT_TRUE(g.GetBool("test.bool").value());
  EXPECT_EQ(g.GetStringArray("test.strings").value(), (std::vector<std::string>{"a", "", "ccc"}));
  auto missing = g.GetU32("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(), "metadata key 'nope' is missing");
  auto wrong = g.GetString("test.u32");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.message(), "metadata key 'test.u32' has type u32, expected string");
  EXPECT_FALSE(g.GetU32("test.u64").ok());   // does not fit
  EXPECT_FALSE(g.GetU64("test.i8").ok());    // negative
  EXPECT_FALSE(g.GetF32Array("test.strings").ok());
  EXPECT_EQ(g.GetU32Or("absent", 7).value(), 7u);
  EXPECT_FALSE(g.GetU32Or("test.f32", 7).ok());  // present but mistyped is still an error
  const GgufValue* nested = g.Find("test.nested");
  ASSERT_NE(nested, nullptr);
  ASSERT_TRUE(nested->is_array());
  EXPECT_EQ(nested->as_array().items.size(), 2u);
  EXPECT_EQ(nested->as_array().items[0].as_array().items[1].as_i64(), 2);
}

TEST(Gguf, WriterRoundTripKeepsMetadataAndBytes) {
  FW_REQUIRE_SHARED_FILE(dir, "models");
  for (const char* name : {"models/stories260K.gguf", "models/stories260K-gguf-v1.gguf",
                           "models/TinyLLama-v0-Q4_0.gguf", "models/tiny-qwen2-f16.gguf",
                           "models/quant-llama-mix-Q4_K_M.gguf"}) {
    auto src = MustOpen(SharedDataPath(name));
    ASSERT_TRUE(src);
    GgufWriter w;
    ASSERT_TRUE(w.CopyFrom(*src).ok());
    std::vector<uint8_t> out = w.WriteToBuffer();
    auto back = ParseBytes(out);
    ASSERT_TRUE(back.ok()) << name << ": " << back.message();
    const GgufFile& b = *back.value();
    EXPECT_EQ(b.version(), 3u);
    ASSERT_EQ(b.metadata().size(), src->metadata().size()) << name;
    for (size_t i = 0; i < b.metadata().size(); ++i) {
      EXPECT_EQ(b.metadata()[i].key, src->metadata()[i].key);
      EXPECT_TRUE(b.metadata()[i].value == src->metadata()[i].value) << name << " " << b.metadata()[i].key;
    }
    ASSERT_EQ(b.tensors().size(), src->tensors().size());
    for (size_t i = 0; i < b.tensors().size(); ++i) {
      const auto& x = src->tensors()[i];
      const auto& y = b.tensors()[i];
      EXPECT_EQ(x.name, y.name);
      EXPECT_EQ(x.type, y.type);
      ASSERT_EQ(x.size_bytes, y.size_bytes);
      EXPECT_EQ(std::memcmp(x.data, y.data, x.size_bytes), 0);
      EXPECT_EQ((b.data_offset() + y.offset) % b.alignment(), 0u);
    }
  }
}

TEST(Gguf, WriterHonoursAlignment) {
  GgufWriter w = SmallWriter();
  w.Set("general.alignment", GgufValue::U32(256));
  std::vector<uint8_t> out = w.WriteToBuffer();
  auto f = ParseBytes(out);
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f.value()->alignment(), 256u);
  for (const auto& t : f.value()->tensors()) EXPECT_EQ((f.value()->data_offset() + t.offset) % 256, 0u);
  GgufWriter bad;
  std::vector<float> three(3);
  EXPECT_FALSE(bad.AddTensor("x", GgmlType::Q8_0, {3}, three.data(), 12).ok());   // ragged
  EXPECT_FALSE(bad.AddTensor("x", GgmlType::F32, {4}, three.data(), 12).ok());    // size mismatch
}

// Every prefix of a valid file that cuts into its header or tensor data is an error, never
// a crash or an out-of-bounds read (run under ASan in CI). The copy has exactly the prefix's
// size so ASan sees overreads. Cutting only the final tensor's alignment padding is valid.
TEST(Gguf, EveryTruncationIsAnError) {
  std::vector<uint8_t> bytes = SmallWriter().WriteToBuffer();
  auto full = ParseBytes(bytes);
  ASSERT_TRUE(full.ok());
  const GgufTensorInfo& last = full.value()->tensors().back();
  const size_t end_of_data = full.value()->data_offset() + last.offset + last.size_bytes;
  ASSERT_LT(end_of_data, bytes.size());  // the test file does end in padding
  for (size_t n = end_of_data; n <= bytes.size(); ++n) {
    EXPECT_TRUE(GgufFile::Parse(bytes.data(), n).ok()) << n;
  }
  for (size_t n = 0; n < end_of_data; ++n) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + n);
    auto f = GgufFile::Parse(prefix.data(), prefix.size());
    EXPECT_FALSE(f.ok()) << "prefix of " << n << " bytes parsed";
    if (!f.ok()) {
      EXPECT_NE(f.message().find("at byte"), std::string::npos) << f.message();
    }
  }
  EXPECT_TRUE(ParseBytes(bytes).ok());
}

// Offsets of fields inside SmallWriter's header, found by searching for known bytes.
size_t FindBytes(const std::vector<uint8_t>& hay, const std::string& needle) {
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (std::memcmp(hay.data() + i, needle.data(), needle.size()) == 0) return i;
  return std::string::npos;
}

template <typename T>
void Poke(std::vector<uint8_t>* b, size_t at, T v) { std::memcpy(b->data() + at, &v, sizeof v); }

void ExpectError(const std::vector<uint8_t>& b, const std::string& fragment) {
  auto f = ParseBytes(b);
  ASSERT_FALSE(f.ok()) << "expected an error containing '" << fragment << "'";
  EXPECT_NE(f.message().find(fragment), std::string::npos) << f.message();
  EXPECT_NE(f.message().find("at byte"), std::string::npos) << f.message();
}

TEST(Gguf, RejectsCorruptHeaders) {
  const std::vector<uint8_t> good = SmallWriter().WriteToBuffer();
  {
    auto b = good; b[0] = 'X';
    ExpectError(b, "bad magic");
  }
  {
    auto b = good; Poke<uint32_t>(&b, 4, 99);
    ExpectError(b, "unknown GGUF version 99");
  }
  {
    auto b = good; Poke<uint32_t>(&b, 4, 0x03000000);
    ExpectError(b, "big-endian");
  }
  {
    auto b = good; Poke<uint64_t>(&b, 8, 1ull << 40);   // tensor count
    ExpectError(b, "tensor count");
  }
  {
    auto b = good; Poke<uint64_t>(&b, 16, 1ull << 40);  // metadata count
    ExpectError(b, "metadata count");
  }
  {
    auto b = good; Poke<uint64_t>(&b, 24, 1ull << 62);  // first key's length
    ExpectError(b, "exceeds");
  }
  {
    // Value type of the first key ("general.architecture") → 77.
    auto b = good; Poke<uint32_t>(&b, 24 + 8 + 20, 77);
    ExpectError(b, "unknown value type 77");
  }
  {
    // The string array's length → huge.
    auto b = good;
    size_t at = FindBytes(b, "test.strings");
    ASSERT_NE(at, std::string::npos);
    Poke<uint64_t>(&b, at + 12 + 4 + 4, 1ull << 50);
    ExpectError(b, "array length");
  }
  {
    auto b = good;
    size_t at = FindBytes(b, "test.bool");
    Poke<uint8_t>(&b, at + 9 + 4, 5);
    ExpectError(b, "bool value 5");
  }
}

// Tensor info of tensor "q" (the second): name "q" then n_dims, ne, type, offset.
size_t TensorInfoAt(const std::vector<uint8_t>& b, const std::string& name) {
  std::string needle(8, '\0');
  uint64_t len = name.size();
  std::memcpy(needle.data(), &len, 8);
  needle += name;
  needle += std::string("\x01\x00\x00\x00", 4);  // n_dims == 1
  size_t at = FindBytes(b, needle);
  return at == std::string::npos ? at : at + 8 + name.size();  // at n_dims
}

TEST(Gguf, RejectsCorruptTensorInfos) {
  const std::vector<uint8_t> good = SmallWriter().WriteToBuffer();
  const size_t q = TensorInfoAt(good, "q");  // n_dims(4) ne0(8) type(4) offset(8)
  ASSERT_NE(q, std::string::npos);
  {
    auto b = good; Poke<uint32_t>(&b, q, 9);
    ExpectError(b, "dimensions");
  }
  {
    auto b = good; Poke<uint32_t>(&b, q + 12, 4);  // type 4 was removed from ggml
    ExpectError(b, "unknown tensor type 4");
  }
  {
    auto b = good; Poke<uint64_t>(&b, q + 4, 65);
    ExpectError(b, "not a multiple of the q8_0 block size 32");
  }
  {
    auto b = good; Poke<uint64_t>(&b, q + 4, 1ull << 62);
    ExpectError(b, "lies outside");
  }
  {
    auto b = good; Poke<uint64_t>(&b, q + 16, 3);
    ExpectError(b, "not a multiple of the alignment");
  }
  {
    auto b = good; Poke<uint64_t>(&b, q + 16, 1ull << 40);
    ExpectError(b, "lies outside");
  }
  {
    auto b = good; Poke<uint64_t>(&b, q + 16, 0);  // same offset as tensor "a"
    ExpectError(b, "overlaps");
  }
  {
    // 2-D tensor "a": dims whose product overflows int64.
    std::string needle(8, '\0');
    uint64_t len = 1;
    std::memcpy(needle.data(), &len, 8);
    needle += "a";
    size_t a = FindBytes(good, needle + std::string("\x02\x00\x00\x00", 4));
    ASSERT_NE(a, std::string::npos);
    auto b = good;
    Poke<uint64_t>(&b, a + 9 + 4, 1ull << 40);
    Poke<uint64_t>(&b, a + 9 + 12, 1ull << 40);
    ExpectError(b, "overflows");
  }
}

TEST(Gguf, RejectsDeeplyNestedArrays) {
  GgufValue v = GgufValue::I32Array({1});
  for (int i = 0; i < 12; ++i) v = GgufValue::Array(GgufValueType::ARRAY, {v});
  GgufWriter w;
  w.Set("deep", v);
  ExpectError(w.WriteToBuffer(), "nested deeper");
}

TEST(Gguf, MissingFileIsAnError) {
  auto f = GgufFile::Open("/nonexistent/model.gguf");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.message().find("No such file"), std::string::npos);
}

}  // namespace
}  // namespace fw
