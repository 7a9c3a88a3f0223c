// Test helpers shared by the model tests: reading llama.cpp's greedy references
// (shared/reference/greedy/<model>.json) and comparing a session's logits against them.
// Header-only so that it stays out of the library.
#pragma once

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/session.h"
#include "tokenizer/tokenizer.h"

namespace fw::model::testing {

inline nlohmann::json ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

inline std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// log_softmax of n logits, in double (what the reference's logprobs are: the full softmax
// before sampling).
inline std::vector<double> LogSoftmax(const float* logits, int n) {
  double mx = -INFINITY;
  for (int i = 0; i < n; ++i) mx = std::max(mx, static_cast<double>(logits[i]));
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += std::exp(static_cast<double>(logits[i]) - mx);
  const double lse = mx + std::log(sum);
  std::vector<double> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) out[static_cast<size_t>(i)] = static_cast<double>(logits[i]) - lse;
  return out;
}

inline int ArgMax(const float* logits, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i)
    if (logits[i] > logits[best]) best = i;
  return best;
}

// Weight types whose logprobs must agree within 1e-3 (llama.cpp quantizes activations to
// 8 bits inside quantized matmuls, so the others get 5e-2).
inline bool IsFloatModel(const std::string& name) {
  return name == "stories260K" || name == "tiny-llama-f32" || name == "tiny-qwen2-f16" ||
         name == "quant-llama-f32" || name == "quant-llama-F16" || name == "quant-llama-BF16";
}

// Every model with a greedy reference (the +lora references need adapters: not here).
inline std::vector<std::string> GreedyReferenceModels() {
  return {"stories260K",       "TinyLLama-v0-Q4_0",    "tiny-llama-f32",       "tiny-qwen2-f16",
          "quant-llama-f32",   "quant-llama-F16",      "quant-llama-BF16",     "quant-llama-Q4_0",
          "quant-llama-Q4_1",  "quant-llama-Q5_0",     "quant-llama-Q5_1",     "quant-llama-Q8_0",
          "quant-llama-Q2_K",  "quant-llama-Q3_K_S",   "quant-llama-Q4_K_S",   "quant-llama-Q5_K_S",
          "quant-llama-Q6_K",  "quant-llama-mix-Q2_K", "quant-llama-mix-Q3_K_M", "quant-llama-mix-Q4_K_M",
          "quant-llama-mix-Q5_K_M"};
}

struct GreedyComparison {
  int steps = 0;            // reference steps
  int matched = 0;          // steps whose argmax equals the reference token
  int compared = 0;         // steps compared (up to and including the first near tie)
  bool near_tie_stop = false;
  bool utf8_stop = false;   // stopped at a reference step with merged incomplete UTF-8
  int first_mismatch = -1;  // step of a mismatch before any near tie, or -1
  double max_diff = 0.0;    // largest |logprob - reference| over the compared steps' top-10
  std::string status;       // empty, or what went wrong
};

// Runs prompt_ids then feeds the reference tokens one by one, comparing at each step our
// argmax with the reference choice and our logprobs of the reference's top-10 ids. Stops
// after the first near tie (reference top-2 gap < 0.01): past it a correct engine may diverge.
//
// Also stops, before comparing it, at the first step whose reference "token" text holds
// U+FFFD together with other text: llama-server had merged the bytes of an incomplete UTF-8
// piece into that step's text, and from there on its recorded distributions no longer follow
// a forward pass over the ids it reports (seen on the random-weight models, which emit stray
// byte tokens; checked by hand that neither another input token nor re-tokenizing the text
// reproduces them). A step that is exactly one lone U+FFFD (a byte token itself) is compared.
//
// With a tokenizer, it also stops at a step whose reference id is a UTF-8 continuation-byte
// token (<0x80>..<0xBF>) while its text is a whole character: there llama-server dropped the
// lead byte's step and reported the continuation byte in its place, so every later reference
// step is one position off what the ids it lists would produce.
inline bool IsContinuationByteToken(const Tokenizer* tok, int id) {
  if (tok == nullptr || id < 0 || id >= tok->n_vocab()) return false;
  const std::string t = tok->token_text(id);
  if (t.size() != 6 || t.rfind("<0x", 0) != 0 || t[5] != '>') return false;
  const int v = std::stoi(t.substr(3, 2), nullptr, 16);
  return v >= 0x80 && v <= 0xBF;
}

inline GreedyComparison CompareGreedy(Session& s, const std::vector<int32_t>& prompt_ids,
                                      const nlohmann::json& ref, const Tokenizer* tok = nullptr) {
  GreedyComparison c;
  const auto& steps = ref["steps"];
  c.steps = static_cast<int>(steps.size());
  Status st = s.Eval(0, prompt_ids);
  if (!st.ok()) {
    c.status = st.message();
    return c;
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    const std::string text = step.contains("token") ? step["token"].get<std::string>() : "";
    if (text.find("\xEF\xBF\xBD") != std::string::npos && text != "\xEF\xBF\xBD") {
      c.utf8_stop = true;
      break;
    }
    if (IsContinuationByteToken(tok, step["id"].get<int>()) && text != "\xEF\xBF\xBD" && text.size() > 1) {
      c.utf8_stop = true;
      break;
    }
    const int n_vocab = s.n_vocab();
    const std::vector<double> lp = LogSoftmax(s.logits(0), n_vocab);
    const int mine = ArgMax(s.logits(0), n_vocab);
    const int ref_id = step["id"].get<int>();
    const auto& top = step["top"];
    for (const auto& pair : top) {
      const int id = pair[0].get<int>();
      const double ref_lp = pair[1].get<double>();
      c.max_diff = std::max(c.max_diff, std::abs(lp[static_cast<size_t>(id)] - ref_lp));
    }
    ++c.compared;
    const bool near_tie = top.size() >= 2 && top[0][1].get<double>() - top[1][1].get<double>() < 0.01;
    if (mine == ref_id) {
      ++c.matched;
    } else if (!near_tie && c.first_mismatch < 0) {
      c.first_mismatch = static_cast<int>(i);
    }
    if (near_tie) {
      c.near_tie_stop = true;
      break;
    }
    if (c.first_mismatch >= 0) break;
    if (i + 1 == steps.size()) break;
    const int32_t next = ref_id;
    st = s.Eval(0, std::vector<int32_t>{next});
    if (!st.ok()) {
      c.status = st.message();
      return c;
    }
  }
  return c;
}

}  // namespace fw::model::testing
