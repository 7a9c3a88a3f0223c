// Unit tests of the Jinja2 interpreter behind ChatTemplate: expressions, filters, tests,
// statements, methods, whitespace control and errors. Every expected string below is what
// Jinja2 3.1 renders with transformers' settings (ImmutableSandboxedEnvironment,
// trim_blocks, lstrip_blocks, loopcontrols, HF's tojson / raise_exception / strftime_now
// pinned to 2024-07-26 12:00 UTC); they were produced by running Jinja2 itself, never by
// this code.
#include <gtest/gtest.h>

#include "chat/chat_template.h"

namespace fw {
namespace {

struct TemplateCase {
  const char* name;
  const char* source;
  const char* context;   // JSON object
  const char* expected;  // rendered text, or the raise_exception message
  bool is_error;
};

struct NamedSource {
  const char* name;
  const char* source;
};

constexpr int64_t kPinnedClock = 1721995200;  // 2024-07-26 12:00:00 UTC

void RunCases(const TemplateCase* cases, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const TemplateCase& c = cases[i];
    SCOPED_TRACE(c.name);
    auto tmpl = ChatTemplate::Parse(c.source);
    ASSERT_TRUE(tmpl.ok()) << c.name << ": " << tmpl.message();
    auto ctx = nlohmann::ordered_json::parse(c.context);
    ctx["strftime_now_time"] = kPinnedClock;
    auto out = tmpl->RenderOrdered(ctx);
    if (c.is_error) {
      ASSERT_FALSE(out.ok()) << c.name << " rendered " << *out;
      EXPECT_EQ(out.message(), c.expected) << c.name;
    } else {
      ASSERT_TRUE(out.ok()) << c.name << ": " << out.message();
      EXPECT_EQ(*out, c.expected) << c.name;
    }
  }
}

const TemplateCase kExpressionsCases[] = {
    {"IntFloatPrinting",
     R"~({{ 1 }} {{ 1.0 }} {{ 3/2 }} {{ 4/2 }} {{ 1e20 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ 0.1 + 0.2 }})~",
     R"~({})~",
     R"~(1 1.0 1.5 2.0 1e+20 1000000000000000.0 0.0001 1e-05 0.30000000000000004)~", false},
    {"FloorDivModPow",
     R"~({{ 7//2 }} {{ -7//2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 10.0 // 3 }} {{ 10 % 3.5 }} {{ 2**10 }} {{ 2**-1 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }})~",
     R"~({})~",
     R"~(3 -4 2 -2 3.0 3.0 1024 0.5 64 4)~", false},
    {"PythonRepr",
     R"~({{ [1, 'a', none, true, 1.5, {'k': 'v'}, ('t',), (1, 2)] }})~",
     R"~({})~",
     R"~([1, 'a', None, True, 1.5, {'k': 'v'}, ('t',), (1, 2)])~", false},
    {"ReprQuotes",
     R"~({{ ["it's", 'q"', 'a\nb', '\\'] }})~",
     R"~({})~",
     R"~(["it's", 'q"', 'a\nb', '\\'])~", false},
    {"NoneTrueFalse",
     R"~({{ none }} {{ true }} {{ false }} {{ None }} {{ True }})~",
     R"~({})~",
     R"~(None True False None True)~", false},
    {"Tilde",
     R"~({{ 'a' ~ 1 ~ none ~ missing ~ 2.0 }})~",
     R"~({})~",
     R"~(a1None2.0)~", false},
    {"InNotIn",
     R"~({{ 'a' in 'cat' }} {{ 1 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'b' not in ['a'] }} {{ 'x' in missing }})~",
     R"~({})~",
     R"~(True True True True False)~", false},
    {"ChainedCompare",
     R"~({{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 1 == 1.0 }} {{ true == 1 }} {{ (1, 2) == [1, 2] }} {{ [1, 2] < [1, 3] }} {{ 'a' < 'b' }})~",
     R"~({})~",
     R"~(True False True True False True True)~", false},
    {"CondExpr",
     R"~({{ 'y' if x else 'n' }} {{ 'y' if not x else 'n' }}|{{ 'a' if false }}|)~",
     R"~({"x": 0})~",
     R"~(n y||)~", false},
    {"AndOrValues",
     R"~({{ 0 or 'b' }} {{ 'a' and 'b' }} {{ '' and 'b' }}|{{ none or [] }})~",
     R"~({})~",
     R"~(b b |[])~", false},
    {"StringConcatAndRepeat",
     R"~({{ 'ab' + 'cd' }} {{ 'ab' * 3 }} {{ [1] * 3 }} {{ 2 * 'x' }} {{ [1] + [2] }} {{ (1,) + (2,) }})~",
     R"~({})~",
     R"~(abcd ababab [1, 1, 1] xx [1, 2] (1, 2))~", false},
    {"Unary",
     R"~({{ -x }} {{ +x }} {{ not x }} {{ -1|abs }} {{ - 2.5 }})~",
     R"~({"x": 3})~",
     R"~(-3 3 False 1 -2.5)~", false},
    {"Slicing",
     R"~({{ 'abcdef'[::-1] }} {{ 'abcdef'[1:] }} {{ 'abcdef'[:-2] }} {{ 'abcdef'[1:5:2] }} {{ [1, 2, 3, 4][::2] }} {{ [1, 2, 3][-1] }} {{ 'héllo'[1:3] }})~",
     R"~({})~",
     R"~(fedcba bcdef abcd bd [1, 3] 3 él)~", false},
    {"Subscript",
     R"~({{ m['role'] }} {{ m.role }} {{ l[0] }} {{ l.1 }} {{ m['nope'] }}|{{ l[9] }}|)~",
     R"~({"m": {"role": "user"}, "l": ["a", "b"]})~",
     R"~(user user a b ||)~", false},
    {"StringEscapes",
     R"~({{ 'tab\there' }}|{{ '\u00e9\x41' }}|{{ 'keep\d' }}|{{ "dq'" }}|{{ 'a' 'b' }})~",
     R"~({})~",
     R"~(tab	here|éA|keep\d|dq'|ab)~", false},
    {"DictLiteralOrder",
     R"~({{ {'b': 1, 'a': 2} }} {{ {'a': 1, 'a': 2} }})~",
     R"~({})~",
     R"~({'b': 1, 'a': 2} {'a': 2})~", false},
    {"TupleLiteral",
     R"~({{ (1, 2) }} {{ (1,) }} {{ () }})~",
     R"~({})~",
     R"~((1, 2) (1,) ())~", false},
    {"Precedence",
     R"~({{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 2 * 3 ~ 4 }} {{ 'a' ~ 2 * 3 }} {{ (1 + 2) ~ 3 }} {{ not 1 == 2 }} {{ 10 - 2 - 3 }})~",
     R"~({})~",
     R"~(7 9 64 a6 33 True 5)~", false},
};
const TemplateCase kFiltersCases[] = {
    {"Tojson",
     R"~({{ x|tojson }})~",
     R"~({"x": {"b": 1, "a": [1, 2.5, null, true], "s": "\u00e9<>&'\"\n"}})~",
     R"~({"b": 1, "a": [1, 2.5, null, true], "s": "é<>&'\"\n"})~", false},
    {"TojsonIndent",
     R"~({{ x|tojson(indent=2) }})~",
     R"~({"x": {"a": 1, "b": [1, {"c": 2}], "e": {}, "f": []}})~",
     R"~({
  "a": 1,
  "b": [
    1,
    {
      "c": 2
    }
  ],
  "e": {},
  "f": []
})~", false},
    {"TojsonSortKeysSeparators",
     R"~({{ x|tojson(sort_keys=true) }}|{{ x|tojson(separators=(',', ':')) }})~",
     R"~({"x": {"b": 1, "a": [1, 2]}})~",
     R"~({"a": [1, 2], "b": 1}|{"b":1,"a":[1,2]})~", false},
    {"TojsonEnsureAscii",
     R"~({{ 'é😀'|tojson(ensure_ascii=true) }})~",
     R"~({})~",
     R"~("\u00e9\ud83d\ude00")~", false},
    {"TojsonScalars",
     R"~({{ 1.0|tojson }} {{ 3|tojson }} {{ none|tojson }} {{ 'a'|tojson }} {{ (1, 2)|tojson }} {{ '\x01'|tojson }})~",
     R"~({})~",
     R"~(1.0 3 null "a" [1, 2] "\u0001")~", false},
    {"TrimUpperLowerCapitalizeTitle",
     R"~([{{ '  a b  '|trim }}] [{{ 'xxaxx'|trim('x') }}] {{ 'abc'|upper }} {{ 'ABC'|lower }} {{ 'hELLO world'|capitalize }} {{ 'hello wORLD-foo(bar'|title }})~",
     R"~({})~",
     R"~([a b] [a] ABC abc Hello world Hello World-Foo(Bar)~", false},
    {"LengthCount",
     R"~({{ 'héllo'|length }} {{ [1, 2]|length }} {{ {'a': 1}|count }} {{ missing|length }})~",
     R"~({})~",
     R"~(5 2 1 0)~", false},
    {"Join",
     R"~({{ [1, 2, 3]|join }} {{ ['a', 'b']|join(', ') }} {{ users|join(', ', attribute='name') }})~",
     R"~({"users": [{"name": "x"}, {"name": "y"}]})~",
     R"~(123 a, b x, y)~", false},
    {"Default",
     R"~({{ missing|default('d') }} {{ ''|default('d') }} {{ ''|default('d', true) }} {{ none|d('d') }} {{ 0|d('d', boolean=true) }} {{ 'x'|default('d') }})~",
     R"~({})~",
     R"~(d  d None d x)~", false},
    {"Items",
     R"~({% for k, v in d|items %}{{ k }}={{ v }};{% endfor %}{{ d|items|list }})~",
     R"~({"d": {"b": 1, "a": 2}})~",
     R"~(b=1;a=2;[('b', 1), ('a', 2)])~", false},
    {"SelectAttrRejectAttr",
     R"~({{ m|selectattr('role', 'equalto', 'user')|map(attribute='c')|list }} {{ m|rejectattr('role', 'equalto', 'user')|map(attribute='c')|list }} {{ m|selectattr('x')|list|length }} {{ m|selectattr('role', 'in', ['tool', 'user'])|list|length }})~",
     R"~({"m": [{"role": "user", "c": 1}, {"role": "assistant", "c": 2, "x": true}, {"role": "user", "c": 3}]})~",
     R"~([1, 3] [2] 1 2)~", false},
    {"SelectReject",
     R"~({{ [1, 2, 3, 4]|select('odd')|list }} {{ [1, 2, 3, 4]|reject('even')|list }} {{ [0, 1, '', 'a']|select|list }} {{ [1, 5, 9]|select('gt', 4)|list }})~",
     R"~({})~",
     R"~([1, 3] [1, 3] [1, 'a'] [5, 9])~", false},
    {"Map",
     R"~({{ ['a', 'b']|map('upper')|list }} {{ [[1, 2], [3]]|map('length')|list }} {{ l|map(attribute='n')|list }} {{ l|map(attribute='z', default=0)|list }} {{ ['a b']|map('replace', ' ', '_')|list }})~",
     R"~({"l": [{"n": 1}, {"n": 2}]})~",
     R"~(['A', 'B'] [2, 1] [1, 2] [0, 0] ['a_b'])~", false},
    {"FirstLast",
     R"~({{ [1, 2]|first }} {{ [1, 2]|last }} {{ 'abc'|first }} {{ 'abc'|last }} {{ []|first }}|)~",
     R"~({})~",
     R"~(1 2 a c |)~", false},
    {"Replace",
     R"~({{ 'aXbXc'|replace('X', '-') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'abc'|replace('', '.') }})~",
     R"~({})~",
     R"~(a-b-c bba .a.b.c.)~", false},
    {"StringIntFloat",
     R"~({{ 12|string }} {{ [1]|string }} {{ '3'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ '3.7'|int }} {{ 3.7|int }} {{ '0x1A'|int(0, 16) }} {{ '1.5'|float }} {{ 'a'|float }} {{ 2|float }})~",
     R"~({})~",
     R"~(12 [1] 3 0 7 3 3 26 1.5 0.0 2.0)~", false},
    {"ListUniqueReverseSort",
     R"~({{ 'ab'|list }} {{ {'k': 1}|list }} {{ ['a', 'A', 'b', 'a']|unique|list }} {{ [1, 2, 3]|reverse|list }} {{ 'abc'|reverse }} {{ [3, 1, 2]|sort }} {{ ['b', 'A', 'a']|sort }} {{ [3, 1, 2]|sort(reverse=true) }} {{ l|sort(attribute='n')|map(attribute='n')|list }})~",
     R"~({"l": [{"n": 2}, {"n": 1}]})~",
     R"~(['a', 'b'] ['k'] ['a', 'b'] [3, 2, 1] cba [1, 2, 3] ['A', 'a', 'b'] [3, 2, 1] [1, 2])~", false},
    {"Indent",
     R"~({{ 'a
b

c'|indent(2) }}|{{ 'a
b'|indent(2, true) }}|{{ 'a

b'|indent(2, blank=true) }}|{{ 'a
b'|indent('> ') }})~",
     R"~({})~",
     R"~(a
  b

  c|  a
  b|a
  
  b|a
> b)~", false},
    {"SafeEscapeAbsRound",
     R"~({{ '<b>'|safe }} {{ '<a href="x">&'|e }} {{ -3|abs }} {{ -2.5|abs }} {{ 2.5|round }} {{ 3.5|round }} {{ 2.567|round(2) }} {{ 2.5|round(0, 'floor') }} {{ 2.1|round(0, 'ceil') }} {{ 3|round }})~",
     R"~({})~",
     R"~(<b> &lt;a href=&#34;x&#34;&gt;&amp; 3 2.5 2.0 4.0 2.57 2.0 3.0 3)~", false},
    {"WordcountCenterBatch",
     R"~({{ 'hello world, foo_bar 42'|wordcount }} [{{ 'abc'|center(9) }}] {{ [1, 2, 3, 4, 5]|batch(2)|list }} {{ [1, 2, 3]|batch(2, 0)|list }})~",
     R"~({})~",
     R"~(4 [   abc   ] [[1, 2], [3, 4], [5]] [[1, 2], [3, 0]])~", false},
    {"SumMinMaxDictsort",
     R"~({{ [1, 2, 3]|sum }} {{ l|sum(attribute='n') }} {{ [3, 1, 2]|min }} {{ [3, 1, 2]|max }} {{ {'b': 1, 'a': 2}|dictsort }} {{ {'b': 1, 'a': 2}|dictsort(by='value') }})~",
     R"~({"l": [{"n": 2}, {"n": 5}]})~",
     R"~(6 7 1 3 [('a', 2), ('b', 1)] [('b', 1), ('a', 2)])~", false},
    {"FormatTruncate",
     R"~({{ '%s-%d'|format('a', 3) }} {{ 'hello world foo bar'|truncate(9) }} {{ 'hello world foo bar'|truncate(9, true) }})~",
     R"~({})~",
     R"~(a-3 hello... hello ...)~", false},
    {"FilterOnUndefined",
     R"~([{{ missing|upper }}][{{ missing|trim }}][{{ missing|join(',') }}][{{ missing|list }}][{{ missing|items|list }}])~",
     R"~({})~",
     R"~([][][][[]][[]])~", false},
};
const TemplateCase kTestsCases[] = {
    {"DefinedUndefinedNone",
     R"~({{ x is defined }} {{ y is defined }} {{ y is undefined }} {{ n is none }} {{ x is not none }} {{ d.k is defined }} {{ d.z is defined }})~",
     R"~({"x": 1, "n": null, "d": {"k": 1}})~",
     R"~(True False True True True True False)~", false},
    {"Types",
     R"~({{ 'a' is string }} {{ 1 is string }} {{ {} is mapping }} {{ [] is mapping }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ [] is sequence }} {{ 'a' is sequence }} {{ 1 is number }} {{ 1.5 is number }} {{ true is number }})~",
     R"~({})~",
     R"~(True False True False True False True True True True True)~", false},
    {"IntegerFloatBoolean",
     R"~({{ 1 is integer }} {{ true is integer }} {{ 1.0 is integer }} {{ 1.0 is float }} {{ 1 is float }} {{ true is boolean }} {{ 1 is boolean }} {{ true is true }} {{ 1 is true }} {{ false is false }} {{ 0 is false }})~",
     R"~({})~",
     R"~(True False False True False True False True False True False)~", false},
    {"Comparisons",
     R"~({{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 1 is ne 2 }} {{ 2 is gt 1 }} {{ 2 is ge 2 }} {{ 1 is lt 2 }} {{ 1 is le 0 }} {{ 1 is in [1, 2] }})~",
     R"~({})~",
     R"~(True False True True True True False True)~", false},
    {"Sameas",
     R"~({{ none is sameas none }} {{ true is sameas true }} {{ l is sameas l }} {{ l is sameas [1] }})~",
     R"~({"l": [1]})~",
     R"~(True True True False)~", false},
    {"OddEvenDivisible",
     R"~({{ 3 is odd }} {{ -1 is odd }} {{ 2 is even }} {{ 9 is divisibleby 3 }} {{ 10 is divisibleby(3) }})~",
     R"~({})~",
     R"~(True True True True False)~", false},
    {"LowerUpper",
     R"~({{ 'abc' is lower }} {{ 'aBc' is lower }} {{ 'ABC' is upper }} {{ '123' is upper }})~",
     R"~({})~",
     R"~(True False True False)~", false},
    {"NegatedTestInCondition",
     R"~({% if x is not string and x is not mapping %}other{% endif %})~",
     R"~({"x": 3})~",
     R"~(other)~", false},
};
const TemplateCase kStatementsCases[] = {
    {"IfElifElse",
     R"~({% for v in [0, 1, 2] %}{% if v == 0 %}zero{% elif v == 1 %}one{% else %}many{% endif %};{% endfor %})~",
     R"~({})~",
     R"~(zero;one;many;)~", false},
    {"ForLoopVariables",
     R"~({% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %})~",
     R"~({})~",
     R"~(1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;)~", false},
    {"ForPrevNextCycle",
     R"~({% for x in [1, 2, 3] %}{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }}{{ loop.cycle('odd', 'even') }};{% endfor %})~",
     R"~({})~",
     R"~(<1>2odd;1<2>3even;2<3>odd;)~", false},
    {"ForElse",
     R"~({% for x in [] %}x{% else %}empty{% endfor %}|{% for x in missing %}x{% else %}none{% endfor %})~",
     R"~({})~",
     R"~(empty|none)~", false},
    {"ForFilter",
     R"~({% for x in [1, 2, 3, 4] if x is even %}{{ x }}:{{ loop.index }}/{{ loop.length }};{% endfor %})~",
     R"~({})~",
     R"~(2:1/2;4:2/2;)~", false},
    {"ForUnpack",
     R"~({% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }};{% endfor %})~",
     R"~({"d": {"x": 1, "y": 2}})~",
     R"~(x=1;y=2;3;7;)~", false},
    {"ForOverStringAndDict",
     R"~({% for c in 'ab' %}[{{ c }}]{% endfor %}{% for k in {'p': 1, 'q': 2} %}{{ k }}{% endfor %})~",
     R"~({})~",
     R"~([a][b]pq)~", false},
    {"BreakContinue",
     R"~({% for i in range(5) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %})~",
     R"~({})~",
     R"~(02)~", false},
    {"LoopScoping",
     R"~({% set x = 5 %}{% for i in [1, 2] %}{{ x }}{% set x = i %}{{ x }};{% endfor %}{{ x }})~",
     R"~({})~",
     R"~(51;52;5)~", false},
    {"IfDoesNotScope",
     R"~({% if true %}{% set y = 1 %}{% endif %}{{ y }})~",
     R"~({})~",
     R"~(1)~", false},
    {"Namespace",
     R"~({% set ns = namespace(n=0, s='') %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.n }} {{ ns.s }})~",
     R"~({})~",
     R"~(3 012)~", false},
    {"SetTupleAndBlock",
     R"~({% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = 1, 2 %}{{ t }}{% set blk %}x{{ a }}y{% endset %}[{{ blk }}]{% set up | upper %}abc{% endset %}{{ up }})~",
     R"~({})~",
     R"~(12(1, 2)[x1y]ABC)~", false},
    {"Macro",
     R"~({% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(name='C', punct='.') }})~",
     R"~({})~",
     R"~(Hi A! Hi B? Hi C.)~", false},
    {"MacroVarargsKwargsRecursion",
     R"~({% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, c=3) }} {% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }})~",
     R"~({})~",
     R"~(1(2,){'c': 3} 321)~", false},
    {"MacroSeesTopLevel",
     R"~({% macro show() %}{{ g }}{% endmacro %}{% set g = 'global' %}{{ show() }})~",
     R"~({})~",
     R"~(global)~", false},
    {"Raw",
     R"~({% raw %}{{ not rendered }}{% if %}{% endraw %})~",
     R"~({})~",
     R"~({{ not rendered }}{% if %})~", false},
    {"Comment",
     R"~(a{# comment #}b{#- trimmed -#}  c)~",
     R"~({})~",
     R"~(abc)~", false},
    {"FilterBlock",
     R"~({% filter upper %}hello {{ name }}{% endfilter %})~",
     R"~({"name": "bob"})~",
     R"~(HELLO BOB)~", false},
    {"With",
     R"~({% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}])~",
     R"~({})~",
     R"~(3[])~", false},
    {"RangeDictNamespace",
     R"~({{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ range(3, 0, -1)|list }} {{ dict(a=1, b='x') }} {{ namespace(a=1).a }})~",
     R"~({})~",
     R"~([0, 1, 2] [1, 3, 5] [3, 2, 1] {'a': 1, 'b': 'x'} 1)~", false},
    {"Generation",
     R"~({% for m in messages %}{% generation %}{{ m.content }}{% endgeneration %};{% endfor %})~",
     R"~({"messages": [{"content": "a"}, {"content": "b"}]})~",
     R"~(a;b;)~", false},
    {"StrftimeNow",
     R"~({{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d') }})~",
     R"~({})~",
     R"~(26 Jul 2024|2024-07-26)~", false},
};
const TemplateCase kMethodsCases[] = {
    {"StripFamily",
     R"~([{{ '  a  '.strip() }}][{{ 'xxaxx'.strip('x') }}][{{ '  a  '.lstrip() }}][{{ '  a  '.rstrip() }}][{{ '\n\na\n'.lstrip('\n') }}][{{ 'ab\n'.rstrip('\n') }}])~",
     R"~({})~",
     R"~([a][a][a  ][  a][a
][ab])~", false},
    {"StartsEndsWith",
     R"~({{ 'abc'.startswith('a') }} {{ 'abc'.startswith('b') }} {{ 'abc'.endswith('bc') }} {{ 'abc'.endswith(('x', 'c')) }})~",
     R"~({})~",
     R"~(True False True True)~", false},
    {"SplitRsplit",
     R"~({{ 'a,b,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ ' a  b '.split() }} {{ 'a,b,c'.rsplit(',', 1) }} {{ 'x</think>y'.split('</think>')[-1] }} {{ 'a b c'.split(' ', maxsplit=1) }})~",
     R"~({})~",
     R"~(['a', 'b', 'c'] ['a', 'b,c'] ['a', 'b'] ['a,b', 'c'] y ['a', 'b c'])~", false},
    {"CaseMethods",
     R"~({{ 'abc'.upper() }} {{ 'ABC'.lower() }} {{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }})~",
     R"~({})~",
     R"~(ABC abc Hello World Hello)~", false},
    {"ReplaceFindCountJoin",
     R"~({{ 'aaa'.replace('a', 'b') }} {{ 'aaa'.replace('a', 'b', 1) }} {{ 'abc'.find('c') }} {{ 'abc'.find('z') }} {{ 'abca'.count('a') }} {{ ', '.join(['x', 'y']) }})~",
     R"~({})~",
     R"~(bbb baa 2 -1 2 x, y)~", false},
    {"Format",
     R"~({{ '{} and {}'.format(1, 'b') }} {{ '{0}{0}'.format('x') }} {{ '{name}!'.format(name='n') }})~",
     R"~({})~",
     R"~(1 and b xx n!)~", false},
    {"DictMethods",
     R"~({{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 5) }} {{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }})~",
     R"~({"d": {"a": 1, "b": 2}})~",
     R"~(1 None 5 ['a', 'b'] [1, 2] [('a', 1), ('b', 2)])~", false},
};
const TemplateCase kWhitespaceCases[] = {
    {"TrimBlocksLstripBlocks",
     R"~(  {% if true %}
  x
  {% endif %}
  y)~",
     R"~({})~",
     R"~(  x
  y)~", false},
    {"LstripOnlyAtLineStart",
     R"~(a  {% if true %}b{% endif %}|{{ 1 }}  {% if true %}c{% endif %})~",
     R"~({})~",
     R"~(a  b|1  c)~", false},
    {"DashStripsAll",
     R"~(a  
  {{- 'b' -}}  
  c
{%- if true -%}
  d  {%- endif %})~",
     R"~({})~",
     R"~(abcd)~", false},
    {"PlusDisablesLstripAndTrim",
     R"~(x
  {%+ if true %}y{% endif +%}
z)~",
     R"~({})~",
     R"~(x
  y
z)~", false},
    {"VariableTagNotTrimmed",
     R"~({{ 'a' }}
b)~",
     R"~({})~",
     R"~(a
b)~", false},
    {"TrailingNewlineDropped",
     R"~(line
)~",
     R"~({})~",
     R"~(line)~", false},
    {"CrLfNormalized",
     R"~(a
bc)~",
     R"~({})~",
     R"~(a
b
c)~", false},
    {"CommentTrimsNewline",
     R"~({# c #}
x
  {# d #}
y)~",
     R"~({})~",
     R"~(x
y)~", false},
    {"RawKeepsNewlineAfterBegin",
     R"~({% raw %}
  {{ x }}
{% endraw %}
z)~",
     R"~({})~",
     R"~(
  {{ x }}
z)~", false},
};
const TemplateCase kErrorsCases[] = {
    {"RaiseException",
     R"~({{ raise_exception('custom message') }})~",
     R"~({})~",
     R"~(custom message)~", true},
    {"RaiseInsideLoop",
     R"~({% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% endfor %})~",
     R"~({"messages": [{"role": "system"}]})~",
     R"~(System role not supported)~", true},
};
const NamedSource kRuntimeErrorCases[] = {
    {"UndefinedArithmetic", R"~({{ missing + 1 }})~"},
    {"AttributeOfUndefined", R"~({{ missing.attr }})~"},
    {"CallUndefined", R"~({{ missing() }})~"},
    {"StrPlusInt", R"~({{ 'a' + 1 }})~"},
    {"DivisionByZero", R"~({{ 1 / 0 }})~"},
    {"ListAppendIsUnsafe", R"~({% set l = [1] %}{{ l.append(2) }})~"},
    {"DictUpdateIsUnsafe", R"~({{ {'a': 1}.update({'b': 2}) }})~"},
    {"UnknownFilterInIfIsRuntime", R"~({% if true %}{{ 1|nosuchfilter }}{% endif %})~"},
    {"RangeTooBig", R"~({{ range(100001)|list|length }})~"},
    {"TojsonUndefined", R"~({{ missing|tojson }})~"},
    {"CompareIncompatible", R"~({{ 1 < 'a' }})~"},
    {"IterateNumber", R"~({% for x in 3 %}{% endfor %})~"},
    {"UnpackMismatch", R"~({% for a, b in [[1, 2, 3]] %}{% endfor %})~"},
};
const NamedSource kParseErrorCases[] = {
    {"UnclosedIf", R"~({% if true %}x)~"},
    {"UnclosedVariable", R"~({{ x)~"},
    {"EmptyIfTest", R"~({% if %}x{% endif %})~"},
    {"UnknownTag", R"~({% frobnicate %})~"},
    {"BadExpression", R"~({{ 1 + }})~"},
    {"EndWithoutStart", R"~({% endfor %})~"},
    {"UnterminatedString", R"~({{ 'abc }})~"},
    {"BreakOutsideLoop", R"~({% break %})~"},
    {"UnknownFilter", R"~({{ 1|nosuchfilter }})~"},
    {"UnknownTest", R"~({{ 1 is nosuchtest }})~"},
};

#define FW_RUN(cases) RunCases(cases, sizeof(cases) / sizeof(cases[0]))

TEST(ChatTemplateExpressions, MatchJinja2) { FW_RUN(kExpressionsCases); }
TEST(ChatTemplateFilters, MatchJinja2) { FW_RUN(kFiltersCases); }
TEST(ChatTemplateTests, MatchJinja2) { FW_RUN(kTestsCases); }
TEST(ChatTemplateStatements, MatchJinja2) { FW_RUN(kStatementsCases); }
TEST(ChatTemplateMethods, MatchJinja2) { FW_RUN(kMethodsCases); }
TEST(ChatTemplateWhitespace, MatchJinja2) { FW_RUN(kWhitespaceCases); }
TEST(ChatTemplateErrors, RaiseExceptionMessageIsVerbatim) { FW_RUN(kErrorsCases); }

TEST(ChatTemplateErrors, RuntimeErrorsFailRender) {
  for (const auto& c : kRuntimeErrorCases) {
    auto tmpl = ChatTemplate::Parse(c.source);
    ASSERT_TRUE(tmpl.ok()) << c.name << ": " << tmpl.message();
    auto out = tmpl->Render(nlohmann::json::object());
    EXPECT_FALSE(out.ok()) << c.name << " rendered " << *out;
  }
}

TEST(ChatTemplateErrors, SyntaxErrorsFailParseWithLocation) {
  for (const auto& c : kParseErrorCases) {
    auto tmpl = ChatTemplate::Parse(c.source);
    ASSERT_FALSE(tmpl.ok()) << c.name << " parsed";
    EXPECT_EQ(tmpl.message().rfind("line 1, column ", 0), 0u) << c.name << ": " << tmpl.message();
  }
}

TEST(ChatTemplateErrors, ParseErrorNamesLineAndColumn) {
  auto tmpl = ChatTemplate::Parse("line one\n{% if x %}\n  {{ 1 + }}\n{% endif %}");
  ASSERT_FALSE(tmpl.ok());
  EXPECT_EQ(tmpl.message().rfind("line 3, column ", 0), 0u) << tmpl.message();
}

TEST(ChatTemplateErrors, UndefinedMessageNamesVariable) {
  auto tmpl = ChatTemplate::Parse("ok\n{{ nope.attr }}");
  ASSERT_TRUE(tmpl.ok());
  auto out = tmpl->Render(nlohmann::json::object());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.message(), "line 2: 'nope' is undefined");
}

TEST(ChatTemplateErrors, ContextMustBeObject) {
  auto tmpl = ChatTemplate::Parse("x");
  ASSERT_TRUE(tmpl.ok());
  EXPECT_FALSE(tmpl->Render(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace fw
