"""Turn a text into matching features: content words, a kana reading, English words.

SudachiPy (mode A, core dictionary) supplies normalized word forms and readings, so that
はいしゃ, ﾊｲｼｬ and 歯医者 share one reading and 引越し/引っ越し share one word.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import snowballstemmer
import yaml
from sudachipy import Morpheme, SplitMode, Tokenizer

from intents.kana_words import load_kana_words, written_kana_words
from intents.loanwords import katakana_loanwords, sudachi_dictionary
from intents.normalize import ascii_words, clean, fold_small_kana, to_hiragana

# Parts of speech that carry a topic; particles, auxiliaries, symbols, pronouns do not.
_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "接尾辞", "接頭辞"})
# Words that tell what happens, or when, rather than what a message is about: verbs,
# adjectives, adverbial nouns (先月, 夜中, 上) and counters (歳, 人, 度).
_SECONDARY_POS = frozenset({"動詞", "形容詞"})
_SECONDARY_KIND = frozenset({"副詞可能", "助数詞", "助数詞可能"})
# Normalized forms that appear in every kind of question (hiragana-folded).
_STOP_WORDS_TEXT = """
為る 有る 居る 成る 出来る 言う 思う 良い いい 教える 方法 知る 事 物 時 方 様 場合 何 分かる
下さる 頂く 貰う 願う 御 お ご いる ある なる する くる 行く 来る 見る やる 欲しい ない 無い
よう こと もの ところ ため 今 さん 様々 について 的 等 くれる みる おく しまう たい 問い合わせ
質問 確認 聞く 尋ねる 方々 感じ どう どこ いつ 誰 幾ら
"""
_EN_STOP_TEXT = """
a an the of to for in on at by with from and or is are was were be been am do does did
i you we they he she it my your our their me us them this that these those what which who
how when where why can could would should will shall may might must have has had get got
please tell want need know about there here any some if so not no yes into out up just
dispose disposal throw away rid
s
"""


def _word_set(text: str, fold: bool = False) -> frozenset[str]:
    words = text.split()
    return frozenset(to_hiragana(w) for w in words) if fold else frozenset(words)


# Normalized forms that appear in every kind of question (hiragana-folded).
_STOP_WORDS = _word_set(_STOP_WORDS_TEXT, fold=True)
_EN_STOP = _word_set(_EN_STOP_TEXT)
_SYMBOL_POS = frozenset({"補助記号", "空白"})
_ASCII_RE = re.compile(r"^[\x00-\x7f]+$")
_HIRAGANA_RE = re.compile(r"^[\u3041-\u3096ー]+$")
_FRAGMENT_PIECES = 3


VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "vocabulary.yaml"


@dataclass(frozen=True)
class Analysis:
    """Features of one text, ready to look up in an index.

    ``expanded`` and ``english_expanded`` are extra index words from the vocabulary file
    (逃げる → 避難, sofa → bulky), searched at a lower weight; ``content`` is False for a
    message with nothing to look up (はい, ありがとう, 👍). ``fragmented``: a stretch of kana
    that the dictionary could only cut into one- and two-kana pieces (じゅう|みん|ぜ|い for
    じゅうみんぜい): a word typed in kana that only the reading can find. ``secondary`` (of a
    query only, see ``Analyzer.analyze_query``): the words that occur only as verbs, adjectives,
    adverbial nouns or counters — in 「先月二人目が生まれました…児童手当は」 先月, 二人, 目 and
    生まれる say what happened; 児童 and 手当 what the message is about.
    """

    words: tuple[str, ...]
    reading: str
    english: tuple[str, ...]
    expanded: tuple[str, ...] = ()
    english_expanded: tuple[str, ...] = ()
    content: bool = True
    fragmented: bool = False
    secondary: tuple[str, ...] = ()


_stemmers = threading.local()


@lru_cache(maxsize=65536)  # pure; Snowball is pure Python, ~50 µs a word
def stem_english(word: str) -> str:
    """The Snowball (Porter 2) English stem of a lowercase word.

    >>> [stem_english(w) for w in ("cities", "parking", "evacuation", "evacuate")]
    ['citi', 'park', 'evacu', 'evacu']
    """
    stemmer: Any = getattr(_stemmers, "english", None)
    if stemmer is None:  # Snowball stemmers keep state: one per thread
        stemmer = snowballstemmer.stemmer("english")
        _stemmers.english = stemmer
    return str(stemmer.stemWord(word))


def _plural(word: str) -> str:
    """Without a stemmer: only a plural -s is dropped."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@dataclass(frozen=True)
class Vocabulary:
    """Query expansions and words that carry no topic (``intents/data/vocabulary.yaml``)."""

    expand: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    english: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    social: frozenset[str] = frozenset()
    phrases: tuple[str, ...] = ()
    stop: frozenset[str] = frozenset()
    kana: Mapping[str, str] = field(default_factory=dict)  # じょせつ -> 除雪 (intents.kana_words)

    @classmethod
    def load(cls, path: Path = VOCABULARY_FILE) -> Vocabulary:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(
            expand={str(k): tuple(map(str, v)) for k, v in (data.get("expand") or {}).items()},
            english={str(k): tuple(map(str, v)) for k, v in (data.get("english") or {}).items()},
            social=frozenset(str(w) for w in data.get("social") or ()),
            phrases=tuple(str(p) for p in data.get("phrases") or ()),
            stop=frozenset(str(w) for w in data.get("stop") or ()),
            kana=load_kana_words(),
        )


class Synonyms:
    """Text-level canonicalisation of orthographic variants and synonyms.

    Each group maps every variant to its first member, longest variant first, so 保育所 and
    保育施設 both read 保育園 and ゴミ reads ごみ, on the knowledge side and the query side alike.
    """

    def __init__(self, groups: Iterable[Iterable[str]] = ()) -> None:
        mapping: dict[str, str] = {}
        for group in groups:
            members = [clean(m) for m in group if m.strip()]
            if not members:
                continue
            canonical = members[0]
            for variant in members[1:]:
                if variant != canonical:
                    mapping[variant] = canonical
        self._mapping = mapping
        variants = sorted(mapping, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(_variant_pattern, variants))) if variants else None

    def apply(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._mapping[m.group(0)], text)

    @property
    def mapping(self) -> Mapping[str, str]:
        return self._mapping


def _variant_pattern(variant: str) -> str:
    """An English variant matches whole words only: cert is not the start of certificate, nor
    aged the end of damaged; Japanese has no spaces, so its variants match anywhere."""
    escaped = re.escape(variant)
    return rf"(?<![a-z]){escaped}(?![a-z])" if _ASCII_RE.match(variant) else escaped


_local = threading.local()


def _tokenizer() -> Tokenizer:
    """One Sudachi tokenizer per thread: tokenizers are not safe to share across threads."""
    tokenizer: Tokenizer | None = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        tokenizer = sudachi_dictionary().tokenizer()
        _local.tokenizer = tokenizer
    return tokenizer


class Analyzer:
    """Sudachi-backed analysis; cheap to call, one instance per matcher."""

    def __init__(
        self,
        synonyms: Synonyms | None = None,
        vocabulary: Vocabulary | None = None,
        stemmer: bool = True,
    ) -> None:
        self.synonyms = synonyms or Synonyms()
        self._stem = stem_english if stemmer else _plural
        vocabulary = vocabulary if vocabulary is not None else Vocabulary.load()
        self._kana = vocabulary.kana
        self._kana_longest = max(map(len, self._kana), default=0)
        # Stop words of the file join the built-in ones: Japanese as normalized forms, English
        # as typed (before stemming).
        stop = [clean(w) for w in vocabulary.stop]
        self._stop_words = _STOP_WORDS | {to_hiragana(w) for w in stop if not _ASCII_RE.match(w)}
        self._en_stop = _EN_STOP | {w for w in stop if _ASCII_RE.match(w)}
        # English phrases whose small word matters (move in / move out): one extra index word.
        self._phrases = frozenset(
            tuple(self._stem(w) for w in ascii_words(clean(p))) for p in vocabulary.phrases
        )
        # Written as people write them: analyze both sides once, as messages are analyzed.
        self._expand: dict[str, tuple[str, ...]] = {}
        for source, targets in vocabulary.expand.items():
            extra = tuple(w for t in targets for w in self._base(t).words)
            for word in self._base(source).words:
                self._expand[word] = self._expand.get(word, ()) + extra
        self._english = {
            self._english_key(k): tuple(self._english_key(w) for w in v)
            for k, v in vocabulary.english.items()
        }
        social = {
            w for s in vocabulary.social for w in (*self._base(s).words, *self._base(s).english, s)
        }
        self._social = frozenset(to_hiragana(clean(w)) for w in social)

    def _english_key(self, text: str) -> str:
        """The index word of an English word or phrase of the vocabulary file."""
        return "_".join(self._stem(w) for w in ascii_words(clean(text)))

    def _english_words(self, text: str) -> tuple[str, ...]:
        """Stemmed content words of a cleaned text, then its vocabulary phrases (move_in)."""
        raw = [self._stem(w) for w in ascii_words(text)]
        words = [
            w
            for w, r in zip(raw, ascii_words(text), strict=True)
            if r not in self._en_stop and len(r) > 1
        ]
        phrases = ["_".join(pair) for pair in itertools.pairwise(raw) if pair in self._phrases]
        return tuple(words + phrases)

    def expansions(self, word: str) -> tuple[str, ...]:
        """The vocabulary file's index words for one analysed query word (逃げる -> 避難, 所)."""
        return self._expand.get(word, ())

    def _add_word(self, morpheme: Morpheme, pos: tuple[str, ...], words: list[str]) -> bool:
        """Append the morpheme's word if it is content; whether it was appended."""
        if pos[0] in _CONTENT_POS and pos[1] != "数詞":
            # Interned: a large collection repeats the same words millions of times.
            word = sys.intern(to_hiragana(morpheme.normalized_form()))
            if word not in self._stop_words:
                words.append(word)
                return True
        return False

    def analyze(self, text: str) -> Analysis:
        """Features of a text, knowledge or message alike."""
        return self._features(self._base(text))

    def analyze_query(self, text: str) -> Analysis:
        """``analyze``, plus the words the message mentions only in passing (``secondary``);
        kept for messages only, so that a large knowledge base does not store them."""
        base = self._base(written_kana_words(text, self._kana, self._kana_longest))
        return dataclasses.replace(self._features(base), secondary=base.secondary)

    def _features(self, base: Analysis) -> Analysis:
        words, english = base.words, base.english
        expanded = tuple(dict.fromkeys(x for w in words for x in self._expand.get(w, ())))
        english_expanded = tuple(
            dict.fromkeys(x for w in english for x in self._english.get(w, ()))
        )
        topical = [w for w in (*words, *english) if w not in self._social]
        return Analysis(
            words,
            base.reading,
            english,
            tuple(w for w in expanded if w not in words),
            tuple(w for w in english_expanded if w not in english),
            content=bool(topical) or base.fragmented,
            fragmented=base.fragmented,
        )

    def _base(self, text: str) -> Analysis:
        cleaned = self.synonyms.apply(katakana_loanwords(clean(text)))
        # Sudachi refuses inputs over ~49 KB; citizen texts are far shorter, so cap generously.
        cleaned = cleaned[:4000]
        words: list[str] = []
        primary: set[str] = set()  # words that occur at least once as a noun of their own
        reading: list[str] = []
        tokenizer = _tokenizer()
        kana_run: list[tuple[int, str]] = []  # hiragana morphemes in a row: length, part of speech
        fragmented = False
        for morpheme in tokenizer.tokenize(cleaned, SplitMode.A):
            surface = morpheme.surface()
            pos = morpheme.part_of_speech()
            if _HIRAGANA_RE.match(surface):
                kana_run.append((len(surface), pos[0]))
            else:
                fragmented = fragmented or _is_fragmented(kana_run)
                kana_run = []
            if pos[0] in _SYMBOL_POS or _ASCII_RE.match(surface):
                if pos[0] not in _SYMBOL_POS:
                    reading.append(" ")
                continue
            kana = to_hiragana(morpheme.reading_form())
            reading.append(kana if kana != "きごう" else " ")
            added = self._add_word(morpheme, pos, words)
            if added and pos[0] not in _SECONDARY_POS and pos[2] not in _SECONDARY_KIND:
                primary.add(words[-1])
        english = self._english_words(cleaned)
        fragmented = fragmented or _is_fragmented(kana_run)
        return Analysis(
            tuple(words),
            fold_small_kana("".join(reading)),
            english,
            fragmented=fragmented,
            secondary=tuple(dict.fromkeys(w for w in words if w not in primary)),
        )


def _is_fragmented(run: list[tuple[int, str]]) -> bool:
    """Hiragana cut into at least three pieces averaging under two kana, two of them one-kana
    particles in a row (じゅう|みん|ぜ|い); そう|な|ん|だ is a sentence, not a lost word."""
    total = sum(length for length, _ in run)
    if len(run) < _FRAGMENT_PIECES or total < 4 or total >= 2 * len(run):
        return False
    single = [length == 1 and pos == "助詞" for length, pos in run]
    return any(a and b for a, b in itertools.pairwise(single))
