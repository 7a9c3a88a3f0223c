// Unicode helpers, checked against facts from the Unicode Character Database.
#include "tokenizer/unicode.h"

#include <gtest/gtest.h>

namespace fw::unicode {
namespace {

TEST(TokenizerUnicode, Categories) {
  EXPECT_TRUE(Category('A') & kLetter);
  EXPECT_TRUE(Category(0x65E5) & kLetter);   // 日
  EXPECT_TRUE(Category('7') & kNumber);
  EXPECT_TRUE(Category(0x00BD) & kNumber);   // ½ (No)
  EXPECT_TRUE(Category('!') & kPunctuation);
  EXPECT_TRUE(Category('$') & kSymbol);
  EXPECT_TRUE(Category(0x1F999) & kSymbol);  // 🦙 (So)
  EXPECT_TRUE(Category(0x0301) & kMark);
  EXPECT_TRUE(Category(0x200B) & kControl);  // ZERO WIDTH SPACE is Cf
  EXPECT_TRUE(Category(0x00A0) & kSeparator);
  EXPECT_TRUE(IsWhitespace(0x00A0));
  EXPECT_TRUE(IsWhitespace('\n'));
  EXPECT_FALSE(IsWhitespace(0x200B));
}

TEST(TokenizerUnicode, CaseAndNfdFirst) {
  EXPECT_EQ(ToLower('Q'), uint32_t('q'));
  EXPECT_EQ(ToLower(0x00C4), 0x00E4u);  // Ä -> ä
  EXPECT_EQ(ToLower(0x0130), uint32_t('i'));  // İ lowercases to i + U+0307
  EXPECT_EQ(NfdFirst(0x00E9), uint32_t('e'));  // é
  EXPECT_EQ(NfdFirst(0xD55C), 0x1112u);        // 한 -> ᄒ
  EXPECT_EQ(CombiningClass(0x0301), 230);
  EXPECT_EQ(CombiningClass(0x0323), 220);
}

TEST(TokenizerUnicode, NormalizationForms) {
  EXPECT_EQ(Nfc("e\xCC\x81"), "\xC3\xA9");  // e + U+0301 -> é
  EXPECT_EQ(Nfd("\xC3\xA9"), "e\xCC\x81");
  // Canonical ordering: dot below (220) sorts before acute (230); NFC then composes ụ́? no:
  // U+1EE5 (u with dot below) + U+0301.
  EXPECT_EQ(Nfd("u\xCC\x81\xCC\xA3"), "u\xCC\xA3\xCC\x81");
  EXPECT_EQ(Nfc("u\xCC\x81\xCC\xA3"), "\xE1\xBB\xA5\xCC\x81");
  // Hangul: 한 <-> U+1112 U+1161 U+11AB.
  EXPECT_EQ(Nfd("\xED\x95\x9C"), "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB");
  EXPECT_EQ(Nfc("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB"), "\xED\x95\x9C");
  // Singleton decomposition (Ohm sign -> Omega) never recomposes; exclusions stay decomposed.
  EXPECT_EQ(Nfc("\xE2\x84\xA6"), "\xCE\xA9");
  EXPECT_EQ(Nfc("\xE0\xA5\x98"), "\xE0\xA4\x95\xE0\xA4\xBC");  // U+0958 is excluded
}

TEST(TokenizerUnicode, Utf8Decoding) {
  EXPECT_EQ(DecodeUtf8("a\xC3\xA9"), (std::vector<uint32_t>{'a', 0xE9}));
  EXPECT_EQ(DecodeUtf8("\xFF" "a"), (std::vector<uint32_t>{0xFFFD, 'a'}));
  EXPECT_EQ(DecodeUtf8("\xE6\x97"), (std::vector<uint32_t>{0xFFFD, 0xFFFD}));
  EXPECT_EQ(SanitizeUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\xA6\x99"));
  EXPECT_FALSE(IsValidUtf8("\xF0\x9F\xA6"));
  EXPECT_EQ(IncompleteUtf8Tail("ab\xF0\x9F\xA6"), 3u);
  EXPECT_EQ(IncompleteUtf8Tail("ab\xC3"), 1u);
  EXPECT_EQ(IncompleteUtf8Tail("ab\xC3\xA9"), 0u);
}

}  // namespace
}  // namespace fw::unicode
