// Writes llama.cpp's activations in the format of `flywheel run --dump-tensors` (see
// src/model/tensor_dump.h), so scripts/numerics/compare_tensor_dumps.py can line the two up
// and name the first operation whose values differ.
//
// It runs the prompt ids as one batch, then each generated id alone (as llama-server does),
// and records every F32/F16 tensor of every micro-batch through the eval callback, flattened
// row-major as [ne3][ne2][ne1] rows of ne0 floats.
//
// Build against a llama.cpp tree (not part of flywheel's build), in one line:
//   g++ -std=c++17 -O1 -I$LLAMA/include -I$LLAMA/ggml/include llama_tensor_dump.cpp
//       -L$LLAMA/build/bin -lllama -lggml -lggml-base -Wl,-rpath,$LLAMA/build/bin -o llama_tensor_dump
// Use:
//   llama_tensor_dump MODEL.gguf PROMPT_IDS GENERATED_IDS OUT [N_THREADS]
//   (ids comma-separated, e.g. from `flywheel run --json`: prompt_tokens and tokens)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ggml-backend.h"
#include "ggml.h"
#include "llama.h"

namespace {

struct DumpState {
  FILE* out = nullptr;
  int batch = 0;
};

bool OnTensor(ggml_tensor* t, bool ask, void* user) {
  if (ask) return true;  // observe every tensor
  auto* st = static_cast<DumpState*>(user);
  if (t->type != GGML_TYPE_F32 && t->type != GGML_TYPE_F16) return true;
  std::vector<uint8_t> raw(ggml_nbytes(t));
  ggml_backend_tensor_get(t, raw.data(), 0, raw.size());
  const int64_t width = t->ne[0], rows = t->ne[1] * t->ne[2] * t->ne[3];
  std::vector<float> f(static_cast<size_t>(width * rows));
  size_t k = 0;
  for (int64_t i3 = 0; i3 < t->ne[3]; ++i3)
    for (int64_t i2 = 0; i2 < t->ne[2]; ++i2)
      for (int64_t i1 = 0; i1 < t->ne[1]; ++i1)
        for (int64_t i0 = 0; i0 < t->ne[0]; ++i0) {
          const size_t off = i0 * t->nb[0] + i1 * t->nb[1] + i2 * t->nb[2] + i3 * t->nb[3];
          float v = NAN;
          if (off + ggml_type_size(t->type) <= raw.size()) {
            if (t->type == GGML_TYPE_F32) std::memcpy(&v, raw.data() + off, 4);
            else v = ggml_fp16_to_fp32(*reinterpret_cast<const ggml_fp16_t*>(raw.data() + off));
          }
          f[k++] = v;
        }
  std::string name = t->name;
  for (char& c : name)
    if (c == ' ') c = '_';
  std::fprintf(st->out, "%d %s %lld %lld\n", st->batch, name.c_str(), static_cast<long long>(rows),
               static_cast<long long>(width));
  std::fwrite(f.data(), sizeof(float), f.size(), st->out);
  std::fputc('\n', st->out);
  return true;
}

std::vector<llama_token> ParseIds(const char* s) {
  std::vector<llama_token> v;
  while (*s) {
    char* end = nullptr;
    v.push_back(static_cast<llama_token>(std::strtol(s, &end, 10)));
    if (end == s) break;
    s = *end == ',' ? end + 1 : end;
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s MODEL.gguf PROMPT_IDS GENERATED_IDS OUT [N_THREADS]\n", argv[0]);
    return 2;
  }
  const std::vector<llama_token> prompt = ParseIds(argv[2]), gen = ParseIds(argv[3]);
  DumpState st;
  st.out = std::fopen(argv[4], "wb");
  if (st.out == nullptr || prompt.empty()) {
    std::fprintf(stderr, "cannot write %s, or no prompt ids\n", argv[4]);
    return 1;
  }
  llama_backend_init();
  llama_model* model = llama_model_load_from_file(argv[1], llama_model_default_params());
  if (model == nullptr) return 1;
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = 512;
  cp.n_batch = cp.n_ubatch = 512;
  cp.n_threads = cp.n_threads_batch = argc > 5 ? std::atoi(argv[5]) : 2;
  cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;  // llama-server's default before flash attention became auto
  cp.cb_eval = OnTensor;
  cp.cb_eval_user_data = &st;
  llama_context* ctx = llama_init_from_model(model, cp);
  if (ctx == nullptr) return 1;
  llama_batch b = llama_batch_init(512, 0, 1);
  b.n_tokens = static_cast<int32_t>(prompt.size());
  for (size_t i = 0; i < prompt.size(); ++i) {
    b.token[i] = prompt[i];
    b.pos[i] = static_cast<llama_pos>(i);
    b.n_seq_id[i] = 1;
    b.seq_id[i][0] = 0;
    b.logits[i] = i + 1 == prompt.size();
  }
  if (llama_decode(ctx, b) != 0) return 1;
  for (size_t k = 0; k < gen.size(); ++k) {
    ++st.batch;
    b.n_tokens = 1;
    b.token[0] = gen[k];
    b.pos[0] = static_cast<llama_pos>(prompt.size() + k);
    b.n_seq_id[0] = 1;
    b.seq_id[0][0] = 0;
    b.logits[0] = 1;
    if (llama_decode(ctx, b) != 0) return 1;
  }
  llama_batch_free(b);
  llama_free(ctx);
  llama_model_free(model);
  std::fclose(st.out);
  return 0;
}
