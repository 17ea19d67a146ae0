"""List the knowledge's nouns that Sudachi cannot read back from hiragana (intents.kana_words).

    python -m bench.kana_words [--write]

Every noun with a kanji of the entries' questions, keywords, titles and answers whose reading
has at least three kana is a candidate; it is listed when the hiragana reading alone does not
analyse to that noun, the reading is not a dictionary word in hiragana of its own (おおく) and
does not begin as an everyday verb (してい is して|い, not 指定). A reading shared by several
nouns goes to the most frequent one; nouns seen once are left out. Run again after large
changes to the knowledge.
"""

from __future__ import annotations

import argparse
import collections
import re

import yaml
from sudachipy import SplitMode

from intents.analyzer import _tokenizer
from intents.kana_words import KANA_WORDS_FILE, MIN_LENGTH
from intents.loanwords import sudachi_dictionary
from intents.normalize import clean, to_hiragana
from knowledge.documents import entry_documents
from knowledge.loader import load_knowledge

_KANJI = re.compile(r"[\u3400-\u9fff]")
_HIRAGANA = re.compile(r"^[\u3041-\u3096ー]+$")
MIN_COUNT = 2
_BASIC_VERBS = frozenset(
    ["為る", "居る", "来る", "有る", "成る", "言う", "出来る", "行く", "見る", "遣る", "置く"]
)


def kana_words() -> dict[str, str]:
    tokenizer = _tokenizer()
    count: collections.Counter[tuple[str, str]] = collections.Counter()
    for doc in entry_documents(load_knowledge()):
        for text in (*doc.questions, *doc.keywords, doc.body or ""):
            for m in tokenizer.tokenize(clean(text)[:4000], SplitMode.A):
                pos = m.part_of_speech()
                if pos[0] != "名詞" or pos[1] == "数詞" or not _KANJI.search(m.surface()):
                    continue
                reading = to_hiragana(m.reading_form())
                if len(reading) >= MIN_LENGTH and _HIRAGANA.match(reading):
                    count[reading, m.surface()] += 1
    chosen: dict[str, tuple[str, int]] = {}
    for (reading, surface), n in count.most_common():
        chosen.setdefault(reading, (surface, n))
    dictionary = sudachi_dictionary()
    words = {}
    for reading, (surface, n) in sorted(chosen.items()):
        if n < MIN_COUNT or dictionary.lookup(reading):
            continue
        read_back = tokenizer.tokenize(reading, SplitMode.A)
        if len(read_back) == 1 and read_back[0].surface() != reading:
            continue
        if len(read_back) == 1 and _KANJI.search(read_back[0].normalized_form()):
            continue
        first = read_back[0]
        if first.part_of_speech()[0] == "動詞" and first.normalized_form() in _BASIC_VERBS:
            continue  # して|い|ない, こ|ない: a conjugated everyday verb, not a lost noun
        words[reading] = surface
    return words


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    words = kana_words()
    print(f"{len(words)} words")
    if args.write:
        header = "# Written by `python -m bench.kana_words --write`; see intents/kana_words.py.\n"
        body = yaml.safe_dump({"words": words}, allow_unicode=True, sort_keys=True)
        KANA_WORDS_FILE.write_text(header + body, encoding="utf-8")
    else:
        for reading, surface in words.items():
            print(reading, surface)


if __name__ == "__main__":
    main()
