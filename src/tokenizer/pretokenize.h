// llama.cpp's BPE pre-tokenizers: for each tokenizer.ggml.pre name, the split regexes (applied
// one after another, each splitting the pieces of the previous one; matches and the gaps
// between them both become pieces) and the flags that come with the family.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "tokenizer/regex.h"

namespace fw::tok {

struct PreTokenizerSpec {
  std::string family;                // canonical name, e.g. "llama3", "gpt2", "default"
  std::vector<std::string> regexes;  // PCRE2 syntax
  bool clean_spaces = true;
  bool ignore_merges = false;
  bool add_bos = false;  // forces add_bos (llama3, tekken, chameleon)
};

// An unknown name is an error (as in llama.cpp); "" means "default".
Result<PreTokenizerSpec> LookupPreTokenizer(const std::string& pre);

class PreTokenizer {
 public:
  static Result<std::unique_ptr<PreTokenizer>> Create(const std::vector<std::string>& regexes);
  // text must be valid UTF-8; returns the pieces as byte spans of text.
  std::vector<Span> Split(std::string_view text) const;

 private:
  std::vector<std::unique_ptr<Regex>> regexes_;
};

// The GPT-2 split (with the trailing \s+ alternative), used by HF ByteLevel(use_regex).
extern const char kGpt2Regex[];

}  // namespace fw::tok
