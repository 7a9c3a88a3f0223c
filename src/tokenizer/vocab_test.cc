// llama.cpp's special-token partition on a hand-built vocab: longest token first, each one
// split out of whatever raw text is left, lstrip/rstrip eating adjacent whitespace.
#include "tokenizer/vocab.h"

#include <gtest/gtest.h>

namespace fw::tok {
namespace {

Vocab MakeVocab(const std::vector<std::pair<std::string, uint32_t>>& specials) {
  Vocab v;
  v.text = {"a", "b"};
  v.attr = {kAttrNormal, kAttrNormal};
  for (const auto& [t, a] : specials) v.text.push_back(t), v.attr.push_back(a);
  v.score.assign(v.text.size(), 0);
  v.type.assign(v.text.size(), TokenType::kNormal);
  v.BuildIndex();
  v.FinishSpecials();
  return v;
}

// Renders fragments as "raw(text)" / "#id".
std::string Show(const Vocab& v, std::string_view text, bool parse_special = true) {
  std::string out;
  for (const Fragment& f : PartitionSpecial(v, text, parse_special)) {
    if (!out.empty()) out += " ";
    out += f.token >= 0 ? "#" + std::to_string(f.token) : "raw(" + std::string(text.substr(f.offset, f.length)) + ")";
  }
  return out;
}

TEST(TokenizerPartition, SpaceRunsLongestFirst) {
  // #2 = two spaces, #3 = three spaces (user-defined, like gpt-neox's space-run tokens).
  const Vocab v = MakeVocab({{"  ", kAttrUserDefined}, {"   ", kAttrUserDefined}});
  EXPECT_EQ(Show(v, "a b"), "raw(a b)");
  EXPECT_EQ(Show(v, "a  b"), "raw(a) #2 raw(b)");
  EXPECT_EQ(Show(v, "a   b"), "raw(a) #3 raw(b)");
  EXPECT_EQ(Show(v, "a    b"), "raw(a) #3 raw( b)");
  EXPECT_EQ(Show(v, "a     b"), "raw(a) #3 #2 raw(b)");
  EXPECT_EQ(Show(v, "a      b  "), "raw(a) #3 #3 raw(b) #2");
  EXPECT_EQ(Show(v, "  a"), "#2 raw(a)");
}

TEST(TokenizerPartition, ControlOnlyWithParseSpecialAndStrip) {
  const Vocab v = MakeVocab({{"<c>", kAttrControl},
                             {"<l>", kAttrUserDefined | kAttrLstrip},
                             {"<r>", kAttrUserDefined | kAttrRstrip},
                             {"<c><c>", kAttrControl}});
  EXPECT_EQ(Show(v, "a<c>b"), "raw(a) #2 raw(b)");
  EXPECT_EQ(Show(v, "a<c>b", false), "raw(a<c>b)");
  EXPECT_EQ(Show(v, "<c><c><c>"), "#5 #2");  // the longer token wins where both match
  EXPECT_EQ(Show(v, "a  <l>  b"), "raw(a) #3 raw(  b)");
  EXPECT_EQ(Show(v, "a  <r>  b", false), "raw(a  ) #4 raw(b)");
}

}  // namespace
}  // namespace fw::tok
