// Tokenizer: text <-> token ids for the vocabularies llama.cpp supports.
//
// Built either from a GGUF's tokenizer.* metadata (tokenizer.ggml.model = "llama" (SentencePiece
// scores), "gpt2" (byte-level BPE with ranked merges and a named pre-tokenizer), "bert"
// (WordPiece)) or from a Hugging Face tokenizer.json (+ tokenizer_config.json). GGUF vocabs
// reproduce llama.cpp (build 4748) exactly: llama_tokenize for Encode, llama_detokenize
// (remove_special=false) for Decode; tokenizer.json files reproduce the HF tokenizers library.
// Files: spm.cc, bpe.cc (+ pretokenize.cc, regex.cc), wpm.cc, hf_tokenizer.cc, vocab.cc
// (special-token partition), unicode.cc (+ generated unicode_tables.cc), streaming.cc.
//
// Thread-safety: a Tokenizer is immutable after construction; Encode/Decode may be called from
// many threads at once. StreamingDetokenizer holds per-stream state and is not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "gguf/gguf_file.h"

namespace fw {

// Token attributes as stored in tokenizer.ggml.token_type.
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

class TokenizerImpl;  // the model-specific algorithm; defined in tokenizer_impl.h

class Tokenizer {
 public:
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Reads tokenizer.* metadata; errors name the offending key.
  static Result<std::unique_ptr<Tokenizer>> FromGguf(const GgufFile& file);
  // Reads a Hugging Face tokenizer.json; tokenizer_config.json (optional) names bos_token /
  // eos_token / pad_token / unk_token. Whether BOS/EOS are added follows the post_processor, as
  // in the tokenizers library.
  static Result<std::unique_ptr<Tokenizer>> FromHfJson(const std::string& tokenizer_json_path,
                                                       const std::string& tokenizer_config_path = "");

  // add_special: BOS/EOS as the vocab says (tokenizer.ggml.add_bos_token / add_eos_token, or the
  // vocab type's default); parse_special: control/user-defined token texts like "<|im_start|>"
  // become their ids (user-defined ones always do, as in llama.cpp). Any bytes are accepted;
  // invalid UTF-8 is handled as llama.cpp does (BPE/WordPiece: U+FFFD; SPM: byte tokens).
  std::vector<int32_t> Encode(std::string_view text, bool add_special = true,
                              bool parse_special = true) const;
  // The bytes this token decodes to (SPM: U+2581 -> ' ', <0xXX> -> byte; BPE: byte-level
  // unmapping). Control tokens render as "" unless render_special.
  std::string TokenToPiece(int32_t id, bool render_special = false) const;
  // Concatenated pieces, with the SPM leading-space rule and clean_spaces applied
  // (llama_detokenize semantics; HF: the decoder chain). Ids outside the vocab are skipped.
  std::string Decode(const std::vector<int32_t>& ids, bool render_special = false) const;

  int32_t n_vocab() const;
  int32_t bos_id() const;  // -1 when none
  int32_t eos_id() const;
  int32_t eot_id() const;
  int32_t unk_id() const;
  int32_t pad_id() const;
  bool add_bos() const;
  bool add_eos() const;
  // eos, eot, eom and other end-of-generation tokens as llama.cpp defines them.
  bool IsEndOfGeneration(int32_t id) const;
  std::string token_text(int32_t id) const;  // raw vocab string ("" when out of range)
  TokenType token_type(int32_t id) const;
  float token_score(int32_t id) const;
  // Id of an exact vocab string, or -1.
  int32_t FindToken(std::string_view text) const;
  std::string_view type_name() const;  // "llama", "gpt2", "bert", "hf-bpe"
  std::string_view pre_type() const;   // GGUF tokenizer.ggml.pre or "" (HF: "hf")

  const TokenizerImpl& impl() const { return *impl_; }

 private:
  explicit Tokenizer(std::unique_ptr<TokenizerImpl> impl);
  std::unique_ptr<TokenizerImpl> impl_;
};

// Feeds ids one at a time; returns only complete UTF-8 (never a broken sequence
// mid-character). The concatenation of all Push() results and Flush() equals
// tokenizer.Decode(all ids). Holds a reference: the Tokenizer must outlive it.
class StreamingDetokenizer {
 public:
  explicit StreamingDetokenizer(const Tokenizer& tokenizer, bool render_special = false);
  std::string Push(int32_t id);
  // Returns whatever is still held (an incomplete sequence is emitted as is) and resets.
  std::string Flush();

 private:
  std::string DecodeWindow(size_t from) const;  // Decode(ids_[from..])

  const Tokenizer& tok_;
  bool render_special_;
  std::vector<int32_t> ids_;  // the window: the last ids pushed since construction / Flush
  size_t emitted_ = 0;        // bytes of Decode(ids_) already returned
};

}  // namespace fw
