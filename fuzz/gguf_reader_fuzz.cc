// libFuzzer target: arbitrary bytes through the GGUF reader and the model card built on it.
// A parsed file must have every tensor inside the buffer: the loop below reads each tensor's
// bytes so ASan reports any range the validator let through wrongly.
#include <cstddef>
#include <cstdint>

#include "gguf/gguf_file.h"
#include "gguf/model_card.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = fw::GgufFile::Parse(data, size);
  if (!f.ok()) return 0;
  const fw::GgufFile& g = *f.value();
  volatile uint8_t sink = 0;
  for (const auto& t : g.tensors()) {
    for (uint64_t i = 0; i < t.size_bytes; i += 61) sink = sink ^ t.data[i];
    if (t.size_bytes > 0) sink = sink ^ t.data[t.size_bytes - 1];
  }
  (void)fw::ModelCardText(fw::ModelCardJson(g));
  (void)g.GetStringArray("tokenizer.ggml.tokens");
  (void)g.GetF32("general.alignment");
  return 0;
}
