// Golden tests against llama.cpp's own quantizer: quant-llama-f32.gguf is the F32 source of
// every quant-llama-<TYPE>.gguf (llama-quantize --pure, no importance matrix, llama.cpp build
// 4748). Re-quantizing each source tensor must reproduce the bytes llama.cpp wrote: exactly
// for the float and legacy types, for >= 99% of the blocks for the K-quants (whose search loops
// are long chains of float sums, where a compiler's contraction of a*b+c into one FMA can flip
// a near-tie). Dequantizing each file's tensor must approximate the source within a bound the
// format implies. Match rates are printed and recorded as test properties.
#include <cmath>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/test_data.h"
#include "tensor/quants.h"
#include "tensor/quants_test_gguf.h"

namespace fw {
namespace {

struct FileCase {
  const char* file_suffix;  // quant-llama-<suffix>.gguf
  GgmlType type;
  bool exact;               // every block must match
  // Upper bound on rmse(dequantized - source) / rms(source). Derivation: a uniform quantizer
  // with step s has error rms s / sqrt(12). For these random weights (roughly Gaussian, sigma
  // = rms) a block's extreme value is ~2.1 sigma for 32 elements (~1.8 for 16) and its range
  // ~4.1 sigma (~3.5). The bound is about 1.5x that estimate, leaving room for heavier tails.
  double rel_rmse_bound;
  const char* why;
};

const FileCase kCases[] = {
    {"F16", GgmlType::F16, true, 1e-3, "11-bit significand: rel. error <= 2^-11"},
    {"BF16", GgmlType::BF16, true, 4e-3, "8-bit significand: rel. error <= 2^-8, rms ~2^-9.5"},
    {"Q8_0", GgmlType::Q8_0, true, 0.01, "s = 2.1/127 -> 0.0048"},
    {"Q5_0", GgmlType::Q5_0, true, 0.07, "s = 2.1/16 -> 0.038 (grid is asymmetric)"},
    {"Q5_1", GgmlType::Q5_1, true, 0.06, "s = 4.1/31 -> 0.038"},
    {"Q4_0", GgmlType::Q4_0, true, 0.15, "s = 2.1/8 -> 0.076; extreme on the -8 side"},
    {"Q4_1", GgmlType::Q4_1, true, 0.12, "s = 4.1/15 -> 0.079"},
    {"Q6_K", GgmlType::Q6_K, false, 0.035, "16-elem blocks, s = 1.8/32 -> 0.016, 8-bit scales"},
    {"Q5_K_S", GgmlType::Q5_K, false, 0.07, "32-elem blocks, s = 4.1/31 -> 0.038, 6-bit scales"},
    {"Q4_K_S", GgmlType::Q4_K, false, 0.13, "32-elem blocks, s = 4.1/15 -> 0.079, 6-bit scales"},
    {"Q3_K_S", GgmlType::Q3_K, false, 0.25, "16-elem blocks, s = 1.8/4 -> 0.13, 6-bit scales"},
    {"Q2_K", GgmlType::Q2_K, false, 0.45, "16-elem blocks, s = 3.5/3 -> 0.34, 4-bit scales"},
};

std::string CaseName(const ::testing::TestParamInfo<FileCase>& info) {
  return info.param.file_suffix;
}

class QuantFileTest : public ::testing::TestWithParam<FileCase> {};

TEST_P(QuantFileTest, ReproducesLlamaQuantizeAndApproximatesSource) {
  const FileCase& c = GetParam();
  FW_REQUIRE_SHARED_FILE(src_path, "models/quant-llama-f32.gguf");
  FW_REQUIRE_SHARED_FILE(q_path, std::string("models/quant-llama-") + c.file_suffix + ".gguf");
  quant_test::TensorDirectory src, qf;
  ASSERT_EQ(src.Open(src_path), "") << src_path;
  ASSERT_EQ(qf.Open(q_path), "") << q_path;
  ASSERT_TRUE(CanQuantize(c.type));
  ASSERT_TRUE(CanDequantize(c.type));

  const int64_t block = TypeTraits(c.type).block_size;
  const size_t block_bytes = TypeTraits(c.type).type_size;
  int64_t tensors = 0, blocks = 0, same_blocks = 0;
  double worst_rel_rmse = 0;
  std::ostringstream report;
  for (const quant_test::TensorRef& qt : qf.tensors()) {
    if (qt.type != static_cast<uint32_t>(c.type)) continue;  // --pure keeps 1-D norms in F32
    const quant_test::TensorRef* st = src.Find(qt.name);
    ASSERT_NE(st, nullptr) << qt.name;
    ASSERT_EQ(st->type, static_cast<uint32_t>(GgmlType::F32)) << qt.name;
    for (int d = 0; d < 4; ++d) ASSERT_EQ(st->ne[d], qt.ne[d]) << qt.name;
    ++tensors;
    const int64_t cols = qt.ne[0];
    ASSERT_EQ(cols % block, 0) << qt.name;
    const size_t row_bytes = RowBytes(c.type, cols);
    std::vector<float> row(cols), mine_deq(cols), file_deq(cols);
    std::vector<uint8_t> mine(row_bytes);
    double err_mine = 0, err_file = 0, sum_sq = 0;
    int64_t t_blocks = 0, t_same = 0;
    for (int64_t r = 0; r < qt.rows(); ++r) {
      std::memcpy(row.data(), st->data + r * cols * 4, cols * 4);
      const uint8_t* file_row = qt.data + r * row_bytes;
      ASSERT_EQ(QuantizeRow(c.type, row.data(), mine.data(), cols), row_bytes);
      for (int64_t b = 0; b < cols / block; ++b) {
        ++t_blocks;
        t_same += std::memcmp(mine.data() + b * block_bytes, file_row + b * block_bytes, block_bytes) == 0;
      }
      DequantizeRow(c.type, mine.data(), mine_deq.data(), cols);
      DequantizeRow(c.type, file_row, file_deq.data(), cols);
      for (int64_t j = 0; j < cols; ++j) {
        err_mine += (mine_deq[j] - row[j]) * static_cast<double>(mine_deq[j] - row[j]);
        err_file += (file_deq[j] - row[j]) * static_cast<double>(file_deq[j] - row[j]);
        sum_sq += row[j] * static_cast<double>(row[j]);
      }
    }
    const double n = static_cast<double>(qt.rows() * cols);
    const double rmse_mine = std::sqrt(err_mine / n), rmse_file = std::sqrt(err_file / n);
    const double rms = std::sqrt(sum_sq / n);
    const double rel = rmse_file / rms;
    worst_rel_rmse = std::max(worst_rel_rmse, rel);
    blocks += t_blocks;
    same_blocks += t_same;
    report << "  " << std::left << std::setw(26) << qt.name << " blocks same " << std::setw(6)
           << t_same << "/" << std::setw(6) << t_blocks << " rmse mine " << std::setprecision(6)
           << rmse_mine << " file " << rmse_file << " (rel " << rel << ")\n";
    EXPECT_LE(rel, c.rel_rmse_bound) << qt.name << ": dequantized file tensor too far from source ("
                                     << c.why << ")";
    if (c.exact) {
      EXPECT_EQ(t_same, t_blocks) << qt.name << ": bytes differ from llama-quantize's";
    } else {
      EXPECT_LE(rmse_mine, rmse_file * (1 + 1e-6)) << qt.name << ": worse than llama-quantize";
    }
  }
  ASSERT_GT(tensors, 0) << "no " << TypeName(c.type) << " tensor in " << q_path;
  const double pct = 100.0 * same_blocks / blocks;
  std::cout << "[quant-match] " << c.file_suffix << " (" << TypeName(c.type) << "): " << tensors
            << " tensors, " << same_blocks << "/" << blocks << " blocks identical (" << std::fixed
            << std::setprecision(3) << pct << "%), worst rel. rmse of file " << std::setprecision(5)
            << worst_rel_rmse << " (bound " << c.rel_rmse_bound << ")\n"
            << report.str();
  RecordProperty("blocks_identical_pct", std::to_string(pct));
  RecordProperty("worst_rel_rmse", std::to_string(worst_rel_rmse));
  if (!c.exact) {
    EXPECT_GE(pct, 99.0) << "too many blocks differ from llama-quantize's";
  }
}

INSTANTIATE_TEST_SUITE_P(QuantFile, QuantFileTest, ::testing::ValuesIn(kCases), CaseName);

// The same source quantized with llama-quantize's default mixture rules: each tensor has
// whatever type the rules chose; every quantized tensor must be reproduced like above.
class QuantMixFileTest : public ::testing::TestWithParam<const char*> {};

TEST_P(QuantMixFileTest, ReproducesEveryQuantizedTensor) {
  FW_REQUIRE_SHARED_FILE(src_path, "models/quant-llama-f32.gguf");
  FW_REQUIRE_SHARED_FILE(q_path, std::string("models/quant-llama-mix-") + GetParam() + ".gguf");
  quant_test::TensorDirectory src, qf;
  ASSERT_EQ(src.Open(src_path), "") << src_path;
  ASSERT_EQ(qf.Open(q_path), "") << q_path;
  std::map<std::string, std::pair<int64_t, int64_t>> per_type;  // type -> (same, total) blocks
  for (const quant_test::TensorRef& qt : qf.tensors()) {
    const GgmlType type = static_cast<GgmlType>(qt.type);
    if (type == GgmlType::F32) continue;
    ASSERT_TRUE(CanQuantize(type)) << qt.name << " has type " << TypeName(type);
    const quant_test::TensorRef* st = src.Find(qt.name);
    ASSERT_NE(st, nullptr) << qt.name;
    ASSERT_EQ(st->type, static_cast<uint32_t>(GgmlType::F32)) << qt.name;
    for (int d = 0; d < 4; ++d) ASSERT_EQ(st->ne[d], qt.ne[d]) << qt.name;
    const int64_t cols = qt.ne[0];
    const int64_t block = TypeTraits(type).block_size;
    const size_t block_bytes = TypeTraits(type).type_size;
    const size_t row_bytes = RowBytes(type, cols);
    std::vector<uint8_t> mine(row_bytes);
    auto& [same, total] = per_type[std::string(TypeName(type))];
    int64_t t_same = 0, t_total = 0;
    for (int64_t r = 0; r < qt.rows(); ++r) {
      QuantizeRow(type, reinterpret_cast<const float*>(st->data) + r * cols, mine.data(), cols);
      for (int64_t b = 0; b < cols / block; ++b) {
        ++t_total;
        t_same += std::memcmp(mine.data() + b * block_bytes, qt.data + r * row_bytes + b * block_bytes,
                              block_bytes) == 0;
      }
    }
    same += t_same;
    total += t_total;
    EXPECT_GE(100.0 * t_same, 99.0 * t_total) << qt.name << " (" << TypeName(type) << ")";
  }
  ASSERT_FALSE(per_type.empty());
  std::cout << "[quant-match] mix-" << GetParam() << ":";
  for (const auto& [name, counts] : per_type) {
    std::cout << " " << name << " " << counts.first << "/" << counts.second;
    RecordProperty("blocks_identical_" + name, std::to_string(counts.first) + "/" +
                                                   std::to_string(counts.second));
  }
  std::cout << " blocks identical\n";
}

INSTANTIATE_TEST_SUITE_P(QuantFile, QuantMixFileTest,
                         ::testing::Values("Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace fw
