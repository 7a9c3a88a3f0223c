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
  int reinserted = 0;       // tokens llama-server folded into later steps, re-inserted
  int first_mismatch = -1;  // step of a mismatch before any near tie, or -1
  double max_diff = 0.0;    // largest |logprob - reference| over the compared steps' top-10
  std::string status;       // empty, or what went wrong
};

// How many leading bytes of the generated text llama-server treats as complete: all, unless
// one of the last 4 bytes starts a multi-byte sequence that needs more bytes than follow it
// (it does not check that those bytes are continuation bytes). It holds the rest back.
inline size_t ServerCompleteUtf8Prefix(const std::string& t) {
  const size_t n = t.size();
  for (size_t i = 1; i <= 4 && i <= n; ++i) {
    const auto c = static_cast<unsigned char>(t[n - i]);
    const size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (need != 0 && i < need) return n - i;
  }
  return n;
}

// The text llama-server reports for these tokens: their pieces, with invalid UTF-8 replaced
// by U+FFFD the way its JSON writer (nlohmann, error_handler_t::replace) does.
inline std::string ServerText(const Tokenizer& tok, const std::vector<int32_t>& ids) {
  std::string bytes;
  for (int32_t id : ids) bytes += tok.TokenToPiece(id);
  return nlohmann::json::parse(nlohmann::json(bytes).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .get<std::string>();
}

// Runs prompt_ids then feeds the reference tokens one by one, comparing at each step our
// argmax with the reference choice and our logprobs of the reference's top-10 ids. Stops
// after the first near tie (reference top-2 gap < 0.01): past it a correct engine may diverge.
//
// llama-server holds a token back while the generated text ends in an incomplete UTF-8
// sequence (ServerCompleteUtf8Prefix) and reports only the token that completes it (or the
// last one, kReferenceTokens): the
// held tokens get no step of their own (nor a place in "tokens"), and the reported step has
// the last token's id and distribution with the whole group's text (U+FFFD for bytes that
// never became a character). So the held tokens are re-inserted: while our argmax would be
// held, it is fed (the reference's token count bounds this), and every step's text must then equal the text of its
// group, which checks the alignment.
// Tokens each reference generation ran for (n_predict), unless it stopped at end of text.
constexpr int kReferenceTokens = 48;

inline GreedyComparison CompareGreedy(Session& s, const std::vector<int32_t>& prompt_ids,
                                      const nlohmann::json& ref, const Tokenizer& tok) {
  GreedyComparison c;
  const auto& steps = ref["steps"];
  c.steps = static_cast<int>(steps.size());
  Status st = s.Eval(0, prompt_ids);
  if (!st.ok()) {
    c.status = st.message();
    return c;
  }
  const int n_vocab = s.n_vocab();
  std::string generated;  // the pieces of every token generated so far
  int n_generated = 0;    // tokens generated so far, held ones included
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    const int ref_id = step["id"].get<int>();
    int mine = ArgMax(s.logits(0), n_vocab);
    std::vector<int32_t> group;
    for (;;) {
      const std::string next = generated + tok.TokenToPiece(mine);
      // The reference's last token (its n_predict-th) is reported whatever its text.
      const bool held = ServerCompleteUtf8Prefix(next) < next.size() && n_generated + 1 < kReferenceTokens;
      if (!held) break;
      generated = next;
      ++n_generated;
      group.push_back(mine);
      st = s.Eval(0, std::vector<int32_t>{mine});
      if (!st.ok()) {
        c.status = st.message();
        return c;
      }
      mine = ArgMax(s.logits(0), n_vocab);
    }
    c.reinserted += static_cast<int>(group.size());
    group.push_back(ref_id);
    const std::string text = step["token"].get<std::string>();
    if (mine == ref_id && ServerText(tok, group) != text) {
      c.status = "step " + std::to_string(i) + ": the reference text " + nlohmann::json(text).dump() +
                 " is not that of the tokens re-inserted before it and its id";
      return c;
    }
    const std::vector<double> lp = LogSoftmax(s.logits(0), n_vocab);
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
    generated += tok.TokenToPiece(ref_id);
    ++n_generated;
    st = s.Eval(0, std::vector<int32_t>{ref_id});
    if (!st.ok()) {
      c.status = st.message();
      return c;
    }
  }
  return c;
}

}  // namespace fw::model::testing
