// libFuzzer target: arbitrary bytes tokenized (with and without BOS / special-token
// parsing, chosen by the first byte), decoded, and streamed through the streaming
// detokenizer. Nothing may crash, hang or read out of bounds; streamed chunks must equal the
// full decode.
//
// Vocabularies are loaded once: $FLYWHEEL_FUZZ_VOCAB (one GGUF), else the shared vocab files
// (llama-spm, gpt-2, bert-bge, and the mistral and qwen3 tokenizer.json files) found through
// $FLYWHEEL_DATA or ../shared; when none exists a
// small synthetic SentencePiece vocab and a byte-level BPE vocab are built in memory so the
// fuzzer still runs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "base/test_data.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "tokenizer/tokenizer.h"

namespace {

std::unique_ptr<fw::Tokenizer> FromBuffer(const std::vector<uint8_t>& bytes) {
  // The GgufFile borrows the buffer only while the Tokenizer copies what it needs.
  auto f = fw::GgufFile::Parse(bytes.data(), bytes.size());
  if (!f.ok()) return nullptr;
  auto t = fw::Tokenizer::FromGguf(**f);
  return t.ok() ? std::move(t).value() : nullptr;
}

std::unique_ptr<fw::Tokenizer> SyntheticSpm() {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0, 0, 0};
  std::vector<int32_t> types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
    tokens.push_back(buf), scores.push_back(0), types.push_back(6);
  }
  const char* words[] = {"\xE2\x96\x81", "a", "b", "c", "ab", "bc", "abc", "\xE2\x96\x81" "a",
                         "\xE2\x96\x81" "ab", "\xC3\xA9", "<|user|>"};
  float s = -1;
  for (const char* w : words) tokens.push_back(w), scores.push_back(s -= 0.5f), types.push_back(1);
  types.back() = 4;  // user-defined
  fw::GgufWriter w;
  w.Set("tokenizer.ggml.model", fw::GgufValue::String("llama"));
  w.Set("tokenizer.ggml.tokens", fw::GgufValue::StringArray(tokens));
  w.Set("tokenizer.ggml.scores", fw::GgufValue::F32Array(scores));
  w.Set("tokenizer.ggml.token_type", fw::GgufValue::I32Array(types));
  return FromBuffer(w.WriteToBuffer());
}

std::unique_ptr<fw::Tokenizer> SyntheticBpe() {
  // The 256 byte stand-ins of GPT-2's byte-level alphabet, then a few merges.
  std::vector<std::string> tokens;
  int n = 0;
  for (int ch = 0; ch < 256; ++ch) {
    const bool printable = (ch >= 0x21 && ch <= 0x7E) || (ch >= 0xA1 && ch <= 0xAC) || (ch >= 0xAE);
    const uint32_t cp = printable ? ch : 256 + n++;
    std::string u;
    if (cp < 0x80) {
      u.push_back(static_cast<char>(cp));
    } else {
      u.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      u.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    tokens.push_back(u);
  }
  const std::vector<std::string> merges = {"\xC4\xA0 t", "h e", "\xC4\xA0t he", "i n", "in g"};
  for (const std::string& m : merges) {
    std::string t = m;
    t.erase(t.find(' '), 1);
    tokens.push_back(t);
  }
  tokens.push_back("<|endoftext|>");
  fw::GgufWriter w;
  w.Set("tokenizer.ggml.model", fw::GgufValue::String("gpt2"));
  w.Set("tokenizer.ggml.pre", fw::GgufValue::String("llama-bpe"));
  w.Set("tokenizer.ggml.tokens", fw::GgufValue::StringArray(tokens));
  w.Set("tokenizer.ggml.merges", fw::GgufValue::StringArray(merges));
  w.Set("tokenizer.ggml.bos_token_id", fw::GgufValue::U32(static_cast<uint32_t>(tokens.size() - 1)));
  return FromBuffer(w.WriteToBuffer());
}

std::unique_ptr<fw::Tokenizer> FromPath(const std::string& path) {
  if (path.empty()) return nullptr;
  auto f = fw::GgufFile::Open(path);
  if (!f.ok()) return nullptr;
  auto t = fw::Tokenizer::FromGguf(**f);
  return t.ok() ? std::move(t).value() : nullptr;
}

const std::vector<std::unique_ptr<fw::Tokenizer>>& Tokenizers() {
  static auto* list = [] {
    auto* v = new std::vector<std::unique_ptr<fw::Tokenizer>>();
    if (const char* env = std::getenv("FLYWHEEL_FUZZ_VOCAB")) {
      if (auto t = FromPath(env)) v->push_back(std::move(t));
    }
    if (v->empty()) {
      for (const char* name : {"llama-spm", "gpt-2", "bert-bge"}) {
        if (auto t = FromPath(fw::SharedDataPath(std::string("vocab/ggml-vocab-") + name + ".gguf"))) {
          v->push_back(std::move(t));
        }
      }
      for (const char* name : {"mistral", "qwen3"}) {
        const std::string path = fw::SharedDataPath(std::string("tokenizers/") + name + "/tokenizer.json");
        if (path.empty()) continue;
        auto t = fw::Tokenizer::FromHfJson(path);
        if (t.ok()) v->push_back(std::move(t).value());
      }
    }
    if (v->empty()) {
      if (auto t = SyntheticSpm()) v->push_back(std::move(t));
      if (auto t = SyntheticBpe()) v->push_back(std::move(t));
    }
    if (v->empty()) std::abort();  // the synthetic vocabs must always load
    return v;
  }();
  return *list;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& toks = Tokenizers();
  const uint8_t mode = data[0];
  const fw::Tokenizer& tok = *toks[(mode >> 2) % toks.size()];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::vector<int32_t> ids = tok.Encode(text, mode & 1, mode & 2);
  for (int32_t id : ids) {
    if (id < 0 || id >= tok.n_vocab()) std::abort();
  }
  const std::string decoded = tok.Decode(ids, mode & 1);
  fw::StreamingDetokenizer stream(tok, mode & 1);
  std::string streamed;
  for (int32_t id : ids) streamed += stream.Push(id);
  streamed += stream.Flush();
  if (streamed != decoded) std::abort();
  return 0;
}
