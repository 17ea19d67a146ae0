"""Words of the knowledge typed in hiragana (じょせつ, でんち, こくほ) read as they are written.

Sudachi reads 除雪 as じょせつ, but cuts the hiragana じょせつ into じょ|せつ (叙する), and でんち
into adverbs, so a kana-only message loses its topic. ``intents/data/kana_words.yaml`` lists
the nouns of the knowledge texts whose reading Sudachi does not read back as the noun and which
are not dictionary words in hiragana themselves (おおく stays おおく, not 多く); it is written by
``python -m bench.kana_words --write``. In a message, each hiragana run that starts a word (at
the start, after a space or punctuation) is read from its start: while the longest listed
reading begins there, it is replaced by its written form (でんちどこ -> 電池どこ), as long as
what follows is a particle, a verb, an adjective or a pronoun (じゅうみんぜい is left as typed).
Runs are not searched inside, where the kana are more often the end of one word and the start
of another. Knowledge texts are indexed as typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import yaml
from sudachipy import SplitMode

from intents.loanwords import sudachi_dictionary

KANA_WORDS_FILE = Path(__file__).resolve().parent / "data" / "kana_words.yaml"
# A run that starts a word of its own: at the start, or after a space or punctuation, not
# after kanji or katakana (していない after 相談 is okurigana and particles, not a word).
_JAPANESE = r"\u3041-\u30ff\u3400-\u9fff\uf900-\ufaff々〆ヵヶ"
_HIRAGANA_RUN = re.compile(rf"(?<![{_JAPANESE}])[\u3041-\u3096ー]{{3,}}")
MIN_LENGTH = 3
# What may follow a written-out word in the same run: a particle (の, を, に), a verb or its
# ending (だしたい, とどけ), an adjective (ほしい) or a pronoun (どこ). Anything else (ぜい in
# じゅうみん|ぜい, りょう) is more likely the rest of a longer word: the run is left as typed.
_CONTINUATIONS = frozenset({"助詞", "助動詞", "動詞", "形容詞", "代名詞"})


def load_kana_words(path: Path = KANA_WORDS_FILE) -> dict[str, str]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in (data.get("words") or {}).items()}


def _write_run(run: str, words: Mapping[str, str], longest: int) -> str:
    out: list[str] = []
    i = 0
    while i < len(run):
        for length in range(min(longest, len(run) - i), MIN_LENGTH - 1, -1):
            written = words.get(run[i : i + length])
            if written is not None:
                out.append(written)
                i += length
                break
        else:
            break
    rest = run[i:]
    if not out or (rest and not _continues(rest)):
        return run
    return "".join(out) + rest


@lru_cache(maxsize=4096)
def _continues(rest: str) -> bool:
    # a tokenizer of its own: tokenizers are not safe to share across threads
    first = sudachi_dictionary().tokenizer().tokenize(rest, SplitMode.A)[0].part_of_speech()
    return first[0] in _CONTINUATIONS and first[1] != "終助詞"


def written_kana_words(text: str, words: Mapping[str, str], longest: int | None = None) -> str:
    """``text`` with listed hiragana words at the start of a hiragana run written out;
    ``longest``: the longest reading in ``words``, when the caller keeps it (per message).

    >>> written_kana_words("でんちどこ じゅうみんぜい", {"でんち": "電池", "じゅうみん": "住民"})
    '電池どこ じゅうみんぜい'
    """
    if not words:
        return text
    if longest is None:
        longest = max(map(len, words))
    return _HIRAGANA_RUN.sub(lambda m: _write_run(m.group(0), words, longest), text)
