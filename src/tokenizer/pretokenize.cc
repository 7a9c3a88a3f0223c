#include "tokenizer/pretokenize.h"

namespace fw::tok {
namespace {

const char kGpt2[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const char kLlama3[] =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char kQwen2[] =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char kCjk[] = "[一-龥ࠀ-一가-퟿]+";
const char kPoro[] = " ?[^(\\s|.,!?…。，、।۔،)]+";
const char kTekken[] =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|"
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|"
    "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char kGpt4o[] =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|"
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

}  // namespace

const char kGpt2Regex[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

Result<PreTokenizerSpec> LookupPreTokenizer(const std::string& pre_in) {
  const std::string pre = pre_in.empty() ? "default" : pre_in;
  PreTokenizerSpec s;
  auto is = [&](std::initializer_list<const char*> names) {
    for (const char* n : names) {
      if (pre == n) return true;
    }
    return false;
  };
  if (is({"default"})) {
    s.family = "default";
    s.regexes = {"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2, "\\p{N}+", "[0-9][0-9][0-9]"};
  } else if (is({"llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral"})) {
    s.family = "llama3";
    s.regexes = {kLlama3};
    s.ignore_merges = true;
    s.add_bos = true;
  } else if (is({"dbrx", "smaug-bpe"})) {
    s.family = "llama3";
    s.regexes = {kLlama3};
  } else if (is({"deepseek-llm"})) {
    s.family = "deepseek-llm";
    // Cased-letter ranges; codepoints with singleton canonical decompositions (U+1F7D, U+1FBE,
    // U+1FD3, U+1FDB, U+2126, U+212A) are written as \x{...} so no editor can normalize them.
    s.regexes = {
        "[\r\n]",
        "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\\x{1F7D}ᾀ-ᾴᾶ-ᾼ\\x{1FBE}ῂ-ῄῆ-ῌῐ-\\x{1FD3}ῖ-\\x{1FDB}ῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\\x{2126}ℨ\\x{212A}-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
        "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
        "\\s+$",
        kCjk,
        "\\p{N}+",
    };
    s.clean_spaces = false;
  } else if (is({"deepseek-coder"})) {
    s.family = "deepseek-coder";
    s.regexes = {"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", kCjk, "\\p{N}"};
    s.clean_spaces = false;
  } else if (is({"deepseek-v3"})) {
    s.family = "deepseek-v3";
    s.regexes = {"\\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+",
                 "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"};
    s.clean_spaces = false;
  } else if (is({"falcon"})) {
    s.family = "falcon";
    s.regexes = {"[\\p{P}\\$\\+<=>\\^~\\|`]+", kGpt2, "[0-9][0-9][0-9]"};
  } else if (is({"mpt", "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en",
                 "jina-v2-es", "jina-v2-de", "jina-v2-code", "roberta-bpe", "olmo", "jais",
                 "trillion", "exaone4"})) {
    s.family = "gpt2";
    s.regexes = {kGpt2};
    if (is({"trillion"})) s.clean_spaces = false;
  } else if (is({"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone",
                 "minerva-7b"})) {
    s.family = "starcoder";
    s.regexes = {"\\p{N}", kGpt2};
    if (is({"command-r", "smollm"})) s.clean_spaces = false;
  } else if (is({"qwen2", "deepseek-r1-qwen", "stablelm2", "megrez", "hunyuan"})) {
    s.family = "qwen2";
    s.regexes = {kQwen2};
    if (!is({"stablelm2", "megrez"})) s.clean_spaces = false;
  } else if (is({"poro-chat", "bloom", "gpt3-finnish"})) {
    s.family = "poro";
    s.regexes = {kPoro};
    if (is({"poro-chat"})) s.clean_spaces = false;
  } else if (is({"chatglm-bpe", "glm4"})) {
    s.family = "chatglm4";
    s.regexes = {kLlama3};
  } else if (is({"viking"})) {
    s.family = "viking";
    s.regexes = {kPoro, "\\p{N}"};
    s.clean_spaces = false;
  } else if (is({"tekken"})) {
    s.family = "tekken";
    s.regexes = {kTekken};
    s.clean_spaces = false;
    s.ignore_merges = true;
    s.add_bos = true;
  } else if (is({"chameleon"})) {
    s.family = "chameleon";
    s.regexes = {"<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )",
                 "\\p{N}", "[\\p{P}!-/:-@\\[-`{-~]", kGpt2};
    s.clean_spaces = false;
    s.add_bos = true;
  } else if (is({"gpt-4o", "llama4"})) {
    s.family = "gpt-4o";
    s.regexes = {kGpt4o};
    s.clean_spaces = false;
  } else if (is({"superbpe"})) {
    s.family = "superbpe";
    s.regexes = {"\\p{N}+", "(?=(\\d{3})+(?!\\d))"};
    s.clean_spaces = false;
  } else if (is({"bailingmoe"})) {
    s.family = "bailingmoe";
    s.regexes = {"'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"};
    s.clean_spaces = false;
  } else if (is({"seed-coder"})) {
    s.family = "seed-coder";
    s.regexes = {"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"};
    s.clean_spaces = false;
  } else {
    return Status::Error("unknown pre-tokenizer type '" + pre + "'");
  }
  return s;
}

Result<std::unique_ptr<PreTokenizer>> PreTokenizer::Create(const std::vector<std::string>& regexes) {
  std::unique_ptr<PreTokenizer> p(new PreTokenizer());
  for (const std::string& r : regexes) {
    FW_ASSIGN_OR_RETURN(std::unique_ptr<Regex> re, Regex::Compile(r));
    p->regexes_.push_back(std::move(re));
  }
  return p;
}

std::vector<Span> PreTokenizer::Split(std::string_view text) const {
  std::vector<Span> pieces;
  if (text.empty()) return pieces;
  pieces.emplace_back(0, text.size());
  for (const auto& re : regexes_) pieces = SplitIsolated(*re, text, pieces);
  return pieces;
}

}  // namespace fw::tok
