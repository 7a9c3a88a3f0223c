// End-to-end tests of `flywheel run`, `flywheel perplexity` and `flywheel estimate`: the
// built binary against llama.cpp's references in shared/reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/subprocess.h"
#include "base/test_data.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

namespace fw {
namespace {

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

const nlohmann::json* FindResult(const nlohmann::json& ref, const std::string& prompt) {
  for (const auto& r : ref["results"])
    if (r["prompt"] == prompt) return &r;
  return nullptr;
}

TEST(RunCli, GreedyJsonReproducesLlamaCpp) {
  FW_REQUIRE_SHARED_FILE(model, "models/stories260K.gguf");
  FW_REQUIRE_SHARED_FILE(ref_path, "reference/greedy/stories260K.json");
  const nlohmann::json all = ReadJson(ref_path);
  const nlohmann::json* ref = FindResult(all, "Once upon a time");
  ASSERT_NE(ref, nullptr);
  ProcessResult r = RunProcess({FlywheelBinary(), "run", model, "Once upon a time", "--temp", "0", "-n", "48",
                                "--json", "--logprobs", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["prompt_tokens"].size(), (*ref)["n_prompt_tokens"].get<size_t>());
  EXPECT_EQ(j["tokens"], (*ref)["tokens"]);
  EXPECT_EQ(j["text"], (*ref)["text"]);
  ASSERT_EQ(j["logprobs"].size(), 48u);
  // Every step's top-10: the same ids with log-probabilities within 1e-3.
  for (size_t step = 0; step < 48; ++step) {
    const auto& mine = j["logprobs"][step]["top"];
    const auto& theirs = (*ref)["steps"][step]["top"];
    ASSERT_EQ(mine.size(), 10u);
    for (const auto& t : theirs) {
      bool found = false;
      for (const auto& m : mine) {
        if (m[0] != t[0]) continue;
        found = true;
        EXPECT_NEAR(m[1].get<double>(), t[1].get<double>(), 1e-3) << "step " << step << " id " << t[0];
      }
      EXPECT_TRUE(found) << "step " << step << ": reference top-10 id " << t[0] << " not in ours";
    }
  }
  for (const char* key : {"prompt_n", "prompt_ms", "prompt_per_second", "predicted_n", "predicted_ms", "predicted_per_second"})
    EXPECT_TRUE(j["timings"].contains(key)) << key;
}

// --dump-tensors writes every stage of every forward pass; the last stage of each pass is the
// logits the generated token was picked from.
TEST(RunCli, DumpTensorsWritesEveryStageOfEveryPass) {
  FW_REQUIRE_SHARED_FILE(model, "models/stories260K.gguf");
  const std::string path = ::testing::TempDir() + "/flywheel_dump_test.bin";
  ProcessResult r = RunProcess({FlywheelBinary(), "run", model, "Once upon a time", "--raw", "--temp", "0", "-n", "3",
                                "--json", "--dump-tensors", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good());
  struct Record {
    int batch, rows, width;
    std::string name;
    std::vector<float> data;
  };
  std::vector<Record> recs;
  std::string line;
  while (std::getline(in, line)) {
    Record rec;
    std::istringstream hs(line);
    ASSERT_TRUE(static_cast<bool>(hs >> rec.batch >> rec.name >> rec.rows >> rec.width)) << line;
    rec.data.resize(static_cast<size_t>(rec.rows) * rec.width);
    in.read(reinterpret_cast<char*>(rec.data.data()), static_cast<std::streamsize>(rec.data.size() * sizeof(float)));
    ASSERT_EQ(in.get(), '\n');
    recs.push_back(std::move(rec));
  }
  // 3 generated tokens: the prompt pass and 2 single-token passes; 5 layers x 13 stages + 2.
  ASSERT_EQ(recs.size(), 3u * (5 * 13 + 2));
  EXPECT_EQ(recs.front().name, "attn_norm-0");
  EXPECT_EQ(recs.front().rows, 5);  // BOS + 4 prompt tokens
  EXPECT_EQ(recs.front().width, 64);
  int outputs = 0;
  for (const Record& rec : recs) {
    if (rec.name != "result_output") continue;
    EXPECT_EQ(rec.batch, outputs);
    ASSERT_EQ(rec.rows, 1);
    ASSERT_EQ(rec.width, 512);
    int best = 0;
    for (int i = 1; i < rec.width; ++i)
      if (rec.data[static_cast<size_t>(i)] > rec.data[static_cast<size_t>(best)]) best = i;
    EXPECT_EQ(best, j["tokens"][static_cast<size_t>(outputs)].get<int>());
    ++outputs;
  }
  EXPECT_EQ(outputs, 3);
  std::remove(path.c_str());

  ProcessResult bad = RunProcess({FlywheelBinary(), "run", model, "x", "-n", "1", "--dump-tensors", "/nonexistent-dir/f"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("/nonexistent-dir/f"), std::string::npos) << bad.err;
}

TEST(RunCli, StreamsTextThenSummaryOnStderr) {
  FW_REQUIRE_SHARED_FILE(model, "models/stories260K.gguf");
  FW_REQUIRE_SHARED_FILE(ref_path, "reference/greedy/stories260K.json");
  const nlohmann::json all = ReadJson(ref_path);
  const nlohmann::json* ref = FindResult(all, "The cat");
  ASSERT_NE(ref, nullptr);
  ProcessResult r = RunProcess({FlywheelBinary(), "run", model, "The cat", "--temp", "0", "-n", "48"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, (*ref)["text"].get<std::string>() + "\n");
  EXPECT_NE(r.err.find("prompt: 4 tokens"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("generated: 48 tokens"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tokens/s"), std::string::npos) << r.err;
}

TEST(RunCli, PromptFromPipe) {
  FW_REQUIRE_SHARED_FILE(model, "models/stories260K.gguf");
  ProcessResult piped = RunProcess({FlywheelBinary(), "run", model, "--temp", "0", "-n", "8", "--json"}, "Once upon a time\n");
  ProcessResult arg = RunProcess({FlywheelBinary(), "run", model, "Once upon a time", "--temp", "0", "-n", "8", "--json"});
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  ASSERT_EQ(arg.exit_code, 0) << arg.err;
  EXPECT_EQ(nlohmann::json::parse(piped.out)["tokens"], nlohmann::json::parse(arg.out)["tokens"]);
}

TEST(RunCli, StopStringEndsTheTextBeforeIt) {
  FW_REQUIRE_SHARED_FILE(model, "models/stories260K.gguf");
  ProcessResult r = RunProcess({FlywheelBinary(), "run", model, "Once upon a time", "--temp", "0", "-n", "48", "--stop",
                                "Lily", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["text"], ", there was a little girl named ");
  EXPECT_EQ(j["stop_reason"], "stop");
}

TEST(RunCli, SameSeedSameTokens) {
  FW_REQUIRE_SHARED_FILE(model, "models/stories260K.gguf");
  std::vector<std::string> args = {FlywheelBinary(), "run", model, "Once upon a time", "--temp", "1.0", "--top-k", "0",
                                   "--top-p", "1", "--min-p", "0", "-n", "32", "--seed", "1234", "--json"};
  ProcessResult a = RunProcess(args);
  ProcessResult b = RunProcess(args);
  args[args.size() - 2] = "99";
  ProcessResult c = RunProcess(args);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const auto ta = nlohmann::json::parse(a.out)["tokens"];
  EXPECT_EQ(ta, nlohmann::json::parse(b.out)["tokens"]);
  EXPECT_NE(ta, nlohmann::json::parse(c.out)["tokens"]);  // 32 draws at temperature 1
}

TEST(RunCli, PromptLongerThanContextIsAnErrorUnlessTruncated) {
  FW_REQUIRE_SHARED_FILE(model, "models/stories260K.gguf");
  const std::string prompt = "Once upon a time there was a little girl named Lily who loved to play in the park";
  ProcessResult r = RunProcess({FlywheelBinary(), "run", model, prompt, "--ctx", "8", "-n", "4"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("context holds 8"), std::string::npos) << r.err;
  ProcessResult t = RunProcess({FlywheelBinary(), "run", model, prompt, "--ctx", "8", "-n", "2", "--truncate", "--json"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.err.find("truncated"), std::string::npos) << t.err;
  auto j = nlohmann::json::parse(t.out);
  EXPECT_GT(j["truncated_prompt_tokens"].get<int>(), 0);
  EXPECT_LT(j["prompt_tokens"].size(), 8u);
}

TEST(RunCli, ModelErrorsNameTheFile) {
  ProcessResult r = RunProcess({FlywheelBinary(), "run", "/nonexistent/model.gguf", "hi"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("flywheel: /nonexistent/model.gguf: ", 0), 0u) << r.err;
  FW_REQUIRE_SHARED_FILE(ragged, "models/stories260K-q8_0-ragged-rows.gguf");
  ProcessResult q = RunProcess({FlywheelBinary(), "run", ragged, "hi"});
  EXPECT_EQ(q.exit_code, 1);
  EXPECT_EQ(q.err.rfind("flywheel: " + ragged + ": ", 0), 0u) << q.err;
}

TEST(RunCli, RefusesWhenTheEstimateExceedsAvailableMemory) {
  FW_REQUIRE_SHARED_FILE(model, "models/stories260K.gguf");
  // 2e9 positions x 640 B of f16 KV per position: far more than any test machine has.
  ProcessResult r = RunProcess({FlywheelBinary(), "run", model, "hi", "--ctx", "2000000000"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is available"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("smaller --ctx"), std::string::npos) << r.err;
}

TEST(RunCli, QwenModelRuns) {
  FW_REQUIRE_SHARED_FILE(model, "models/tiny-qwen2-f16.gguf");
  ProcessResult r = RunProcess({FlywheelBinary(), "run", model, "The cat", "--temp", "0", "-n", "8", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["tokens"].size(), 8u);
}

// qwen3 with a head size (attention.key_length 32) other than n_embd / n_head (16), per-head
// q/k norms and NEOX RoPE: a random model from `flywheel dev make-model` must load and run.
TEST(RunCli, Qwen3WithSeparateHeadSizeRuns) {
  FW_REQUIRE_SHARED_FILE(vocab, "models/stories260K.gguf");
  const std::string out = ::testing::TempDir() + "/fw_qwen3_test.gguf";
  ProcessResult mk = RunProcess({FlywheelBinary(), "dev", "make-model", "--arch", "qwen3", "--dims", "64,2,4,2,128,32",
                                 "--vocab", vocab, "--type", "F32", "-q", out});
  ASSERT_EQ(mk.exit_code, 0) << mk.err;
  ProcessResult r = RunProcess({FlywheelBinary(), "run", out, "Once upon a time", "--temp", "0", "-n", "8", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["tokens"].size(), 8u);
  std::remove(out.c_str());
}

// A model with tokenizer.chat_template: the prompt is rendered through it (with the vocab's
// BOS text, so no second BOS is added), --raw bypasses it.
TEST(RunCli, ChatTemplateIsAppliedUnlessRaw) {
  FW_REQUIRE_SHARED_FILE(src_path, "models/stories260K.gguf");
  auto src = GgufFile::Open(src_path);
  ASSERT_TRUE(src.ok()) << src.message();
  GgufWriter w;
  ASSERT_TRUE(w.CopyFrom(**src).ok());
  w.Set("tokenizer.chat_template",
        GgufValue::String("{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                          "{% if add_generation_prompt %}assistant:{% endif %}"));
  const std::string out = ::testing::TempDir() + "/fw_chat_template_test.gguf";
  ASSERT_TRUE(w.Write(out).ok());
  ProcessResult chat = RunProcess({FlywheelBinary(), "run", out, "Hi", "--temp", "0", "-n", "2", "--json",
                                   "--system", "Be brief"});
  ProcessResult raw = RunProcess({FlywheelBinary(), "run", out, "Hi", "--temp", "0", "-n", "2", "--json", "--raw"});
  ProcessResult tok = RunProcess({FlywheelBinary(), "tokenize", out, "system: Be brief\nuser: Hi\nassistant:", "--no-escape"});
  ProcessResult tok_raw = RunProcess({FlywheelBinary(), "tokenize", out, "Hi"});
  std::remove(out.c_str());
  ASSERT_EQ(chat.exit_code, 0) << chat.err;
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  const auto chat_ids = nlohmann::json::parse(chat.out)["prompt_tokens"];
  const auto raw_ids = nlohmann::json::parse(raw.out)["prompt_tokens"];
  EXPECT_EQ(chat_ids[0], 1);
  EXPECT_NE(chat_ids[1], 1);  // one BOS only
  EXPECT_LT(raw_ids.size(), chat_ids.size());
  // `flywheel tokenize` (BOS as the vocab says) prints the ids as [1, 2, ...].
  ASSERT_EQ(tok.exit_code, 0) << tok.err;
  ASSERT_EQ(tok_raw.exit_code, 0) << tok_raw.err;
  EXPECT_EQ(nlohmann::json::parse(tok.out), chat_ids) << tok.out;
  EXPECT_EQ(nlohmann::json::parse(tok_raw.out), raw_ids) << tok_raw.out;
}

// flywheel perplexity against every entry of reference/perplexity.json (llama-perplexity,
// context 128, first 60000 code points), within 0.5%.
TEST(RunPerplexity, MatchesLlamaCppReference) {
  FW_REQUIRE_SHARED_FILE(ref_path, "reference/perplexity.json");
  const nlohmann::json ref = ReadJson(ref_path);
  const std::map<std::string, std::string> texts = {{"tinystories-60k", "eval/tinystories/tinystories_val.txt"},
                                                    {"wikitext-60k", "eval/wikitext2/wiki.test.raw"}};
  for (const auto& e : ref["results"]) {
    const std::string model = SharedDataPath(e["model"].get<std::string>());
    const std::string text = SharedDataPath(texts.at(e["text"].get<std::string>()));
    ASSERT_FALSE(model.empty() || text.empty());
    ProcessResult r = RunProcess({FlywheelBinary(), "perplexity", model, "-f", text, "--ctx", "128", "--batch", "128",
                                  "--chars", "60000", "--json"},
                                 "", 600);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    const double want = e["ppl"].get<double>();
    const double got = j["ppl"].get<double>();
    std::cout << "[perplexity] " << e["model"] << " " << e["text"] << ": " << got << " +/- " << j["stderr"]
              << " (llama.cpp " << want << " +/- " << e["stderr"] << ")\n";
    EXPECT_NEAR(got, want, want * 0.005) << e["model"] << " " << e["text"];
    EXPECT_NEAR(j["stderr"].get<double>(), e["stderr"].get<double>(), e["stderr"].get<double>() * 0.05);
  }
}

TEST(RunPerplexity, TextShorterThanOneChunkIsAnError) {
  FW_REQUIRE_SHARED_FILE(model, "models/stories260K.gguf");
  FW_REQUIRE_SHARED_FILE(text, "eval/tinystories/tinystories_val.txt");
  ProcessResult r = RunProcess({FlywheelBinary(), "perplexity", model, "-f", text, "--chars", "100"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("fewer than one context"), std::string::npos) << r.err;
}

TEST(RunEstimate, KvBytesFollowTheFormula) {
  FW_REQUIRE_SHARED_FILE(model, "models/stories260K.gguf");
  for (const auto& [kv, elem] : std::vector<std::pair<std::string, double>>{{"f16", 2.0}, {"f32", 4.0}, {"q8_0", 34.0 / 32.0}}) {
    ProcessResult r = RunProcess({FlywheelBinary(), "estimate", model, "--ctx", "1024", "--parallel", "3", "--kv-type", kv, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    // stories260K: 5 layers x 4 kv heads x head size 8, K and V.
    const double per_seq = 5.0 * 4 * 8 * 1024 * 2 * elem;
    EXPECT_EQ(j["kv_bytes_per_seq"].get<double>(), per_seq) << kv;
    EXPECT_EQ(j["kv_bytes"].get<double>(), 3 * per_seq) << kv;
    EXPECT_EQ(j["weight_bytes"].get<uint64_t>(), 1171200u);  // sum of the tensors' sizes
    EXPECT_EQ(j["total_bytes"].get<uint64_t>(),
              j["weight_bytes"].get<uint64_t>() + j["kv_bytes"].get<uint64_t>() + j["compute_bytes"].get<uint64_t>());
  }
  ProcessResult text = RunProcess({FlywheelBinary(), "estimate", model});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("KV cache"), std::string::npos);
  EXPECT_NE(text.out.find("total"), std::string::npos);
}

// The estimate against what a run really holds. Method: `run --json` reports RssAnon just
// before the session (KV cache, buffers, sampler) is created and again at the end, and the
// resident size of its mapping of the GGUF file from /proc/self/smaps (the weight pages the
// forward pass touched). measured = anon growth + mapped weights; it must be within 10% of
// the estimate's total. (VmRSS as a whole also counts the binary's code, libc and the
// tokenizer, which the estimate does not model.) Contexts are chosen so that KV, weights and
// buffers all contribute.
TEST(RunEstimate, AgreesWithResidentMemory) {
#if defined(__SANITIZE_ADDRESS__)
  // The binary under test is sanitized too: ASan's shadow memory, redzones and quarantine add
  // to every allocation, so its resident set says nothing about the product's. The Release
  // run of this test is the one that checks the estimate.
  GTEST_SKIP() << "SKIPPED under AddressSanitizer: it inflates the resident set being measured";
#endif
  for (const auto& [file, ctx] : std::vector<std::pair<std::string, std::string>>{
           {"models/TinyLLama-v0-Q4_0.gguf", "2048"}, {"models/stories260K.gguf", "4096"}, {"models/quant-llama-Q8_0.gguf", "1024"}}) {
    const std::string model = SharedDataPath(file);
    if (model.empty()) GTEST_SKIP() << "SKIPPED: shared test data missing (" << file << ")";
    ProcessResult r = RunProcess({FlywheelBinary(), "run", model, "Once upon a time", "--raw", "--ctx", ctx, "-n", "16", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto m = nlohmann::json::parse(r.out)["memory"];
    const double measured = m["rss_anon_end_bytes"].get<double>() - m["rss_anon_baseline_bytes"].get<double>() +
                            m["rss_model_mapping_bytes"].get<double>();
    const double estimate = m["estimate_total_bytes"].get<double>();
    std::cout << "[estimate] " << file << " ctx " << ctx << ": estimate " << estimate << " B, measured " << measured
              << " B (" << measured / estimate << ")\n";
    EXPECT_NEAR(measured, estimate, 0.10 * estimate) << file;
  }
}

}  // namespace
}  // namespace fw
