// Test helpers for the tokenizer suites: reading llama.cpp's vocab test vectors and id files.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"

namespace fw::tok_test {

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A .inp file is a sequence of cases each followed by "\n__ggml_vocab_test__\n"; the text
// of a case is everything between separators, byte for byte (it may be empty or consist of
// newlines only).
inline std::vector<std::string> ReadVocabInputs(const std::string& path) {
  const std::string data = ReadFile(path);
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> cases;
  size_t pos = 0;
  while (true) {
    const size_t next = data.find(sep, pos);
    if (next == std::string::npos) break;
    cases.push_back(data.substr(pos, next - pos));
    pos = next + sep.size();
  }
  return cases;
}

// A .out file has one line per case: the ids separated (and preceded) by spaces.
inline std::vector<std::vector<int32_t>> ReadVocabOutputs(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::vector<int32_t>> out;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream ls(line);
    std::vector<int32_t> ids;
    int64_t v;
    while (ls >> v) ids.push_back(static_cast<int32_t>(v));
    out.push_back(ids);
  }
  return out;
}

// A .ids file is one JSON array of integers.
inline std::vector<int32_t> ReadIdsJson(const std::string& path) {
  const std::string data = ReadFile(path);
  std::vector<int32_t> ids;
  int64_t cur = 0;
  bool in_num = false, neg = false;
  for (char c : data) {
    if (c >= '0' && c <= '9') {
      cur = cur * 10 + (c - '0');
      in_num = true;
    } else if (c == '-') {
      neg = true;
    } else {
      if (in_num) ids.push_back(static_cast<int32_t>(neg ? -cur : cur));
      cur = 0;
      in_num = false;
      neg = false;
    }
  }
  if (in_num) ids.push_back(static_cast<int32_t>(neg ? -cur : cur));
  return ids;
}

inline std::string IdsToString(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += " " + std::to_string(id);
  return s;
}

}  // namespace fw::tok_test
