"""Rank knowledge entries for a citizen's question.

Two regimes, fused into one score in [0, 1]:

* term-weighted retrieval (BM25) over content words, kana-reading bigrams and English words of
  every entry's questions, keywords and answer — it ranks long, conversational questions;
* rapidfuzz similarity in kana-reading space on the retrieval's top candidates — it rescues short,
  hiragana-only and typo-laden queries (はいしゃ, ｿﾀﾞｲｺﾞﾐ, 住民表);
* a dense channel from chiVe word vectors (``intents/vectors.py``) re-ranking the lexical top 200,
  and query expansion: vocabulary-file expansions (逃げる → 避難, sofa → bulky) and each query
  word's nearest question words.

The top candidate carries a calibrated confidence (``intents/calibration.py``): P(it is right),
from features of the ranking; ``intents.decide`` turns it into answer / choices / fallback.

Usage::

    matcher = Matcher.build(documents, synonyms)
    matcher.rank("粗大ごみを出したい", k=3)   # [Candidate("proc.bulky_waste_request", 0.83), …]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from intents.analyzer import Analysis, Analyzer, Synonyms, Vocabulary
from intents.calibration import Calibration
from intents.index import (
    FloatArray,
    IndexBuilder,
    QueryTerms,
    TermIndex,
    char_ngrams,
    fused_scores,
)
from intents.vectors import DenseIndex, WordVectors


@dataclass(frozen=True)
class Document:
    """What the matcher needs of an entry; built from YAML entries or a JSONL FAQ."""

    id: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    body: str = ""
    prior: float = 1.0  # multiplies the score: < 1 for entries that should rarely win
    related: tuple[str, ...] = ()  # ids of entries of the same topic (FAQ <-> procedure guide)


@dataclass(frozen=True)
class Candidate:
    """One ranked entry.

    ``score`` ranks (the fused retrieval score, 0..1). ``confidence`` is set on the top candidate
    only: the calibrated probability that it is the right entry (None without a calibration).
    ``related`` names the other returned candidates that belong to this one's topic.
    """

    entry_id: str
    score: float
    confidence: float | None = None
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class MatchWeights:
    """The knobs of the fusion; chosen on the evaluation set (see docs/benchmarks.md)."""

    word: float = 0.55
    reading: float = 0.35
    english: float = 0.10
    k1: float = 1.2
    b: float = 0.75
    both_fields: float = 1.0
    question_field: float = 0.5
    fuzzy_short: float = 0.45
    fuzzy_long: float = 0.15
    short_reading: int = 12
    short_english: int = 2
    candidates: int = 30
    use_fuzzy: bool = True
    use_reading: bool = True
    use_words: bool = True
    fuzzy_max_reading: int = 60
    scorer: str = "ratio"
    reading_body: bool = True
    word_body: bool = True
    expansion: float = 0.5  # weight of vocabulary expansions (逃げる -> 避難) against query words
    # Weight of the words a message uses only as verbs, adjectives, adverbial nouns or counters
    # (先月, 生まれる, 歳: Analysis.secondary) against its nouns; 1.0 weighs them alike.
    secondary: float = 0.7
    use_expansion: bool = True
    use_stemmer: bool = True
    use_calibration: bool = True
    max_postings: int = 1000  # postings per term read before the rest is bounded (0: all)
    # A term in at least this share of the entries is stored as a dense row of weights (0:
    # postings only): the same scores, summed as a vector instead of scattered (index.py).
    dense_share: float = 0.25
    # Skip the documents that cannot reach the top (exact; see index.py). Off: on the
    # measured collections it cost more than it saved (docs/benchmarks.md).
    prune: bool = False
    # A long message's reading is searched by its rarest bigrams only (0: all): its common
    # bigrams (です, ます, いて) cost the most postings and tell the least.
    max_reading_grams: int = 32
    use_dense: bool = True  # chiVe embeddings of entries vs the query
    dense: float = 0.3
    dense_rerank: int = 200  # the dense channel re-ranks the lexical top N only
    use_neighbours: bool = True  # query expansion with the nearest indexed words
    neighbour_weight: float = 0.2
    neighbour_count: int = 5
    neighbour_threshold: float = 0.6
    # A one-word message (証明書, ごみ: at most two words, a reading of at most one_word_reading
    # kana) shared by several topics asks for choices: its confidence is capped below any answer
    # band unless the next unrelated entry scores at most (1 - one_word_margin) of the top.
    one_word_margin: float = 0.2
    one_word_cap: float = 0.5
    one_word_reading: int = 8
    # A message at least half of whose words no entry contains (明日の天気, 箱根駅伝の優勝校) is
    # most likely about something else: its confidence is capped below any answer band too.
    unknown_share: float = 0.5


_SCORERS: dict[str, Any] = {
    "WRatio": fuzz.WRatio,
    "ratio": fuzz.ratio,
    "QRatio": fuzz.QRatio,
    "token_set_ratio": fuzz.token_set_ratio,
    "partial_ratio": fuzz.partial_ratio,
}


@dataclass(frozen=True)
class _FuzzyTable:
    """Short strings (question readings) grouped by document: doc d owns [start[d], start[d+1])."""

    strings: list[str]
    start: np.ndarray

    @classmethod
    def build(cls, strings: list[str], owners: list[int], n_docs: int) -> _FuzzyTable:
        counts = np.bincount(np.asarray(owners, dtype=np.int64), minlength=n_docs)
        start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(strings, start)

    def best(self, query: str, docs: np.ndarray, scorer: Any = fuzz.WRatio) -> FloatArray:
        """For each document in ``docs``, its best WRatio similarity to ``query`` (0..1)."""
        result = np.zeros(docs.size, dtype=np.float32)
        if not query:
            return result
        slots: list[int] = []
        choices: list[str] = []
        for slot, doc in enumerate(docs):
            lo, hi = int(self.start[doc]), int(self.start[doc + 1])
            choices.extend(self.strings[lo:hi])
            slots.extend([slot] * (hi - lo))
        if not choices:
            return result
        sims = process.cdist([query], choices, scorer=scorer, dtype=np.float32)[0] / 100
        np.maximum.at(result, np.asarray(slots, dtype=np.int64), sims)
        return result


@dataclass
class Matcher:
    """An index over documents; ``rank`` is pure CPU work and safe to call from threads."""

    ids: list[str]
    analyzer: Analyzer
    words: TermIndex
    readings: TermIndex
    english: TermIndex
    fuzzy: _FuzzyTable
    fuzzy_english: _FuzzyTable
    priors: FloatArray
    weights: MatchWeights = field(default_factory=MatchWeights)
    related_entries: dict[int, frozenset[int]] = field(default_factory=dict)
    calibration: Calibration | None = None
    dense: DenseIndex | None = None
    vocabulary: Vocabulary | None = None
    documents: tuple[Document, ...] = ()  # what the index was built from (for updates)
    analyses: dict[str, Analysis] = field(default_factory=dict, repr=False)  # text -> features
    asked: frozenset[str] = frozenset()  # the words of the entries' questions and keywords

    @classmethod
    def build(
        cls,
        documents: Sequence[Document],
        synonyms: Synonyms | None = None,
        weights: MatchWeights | None = None,
        vocabulary: Vocabulary | None = None,
        calibration: Calibration | None = None,
        analyses: dict[str, Analysis] | None = None,
        previous: Matcher | None = None,
    ) -> Matcher:
        """Index ``documents``; ``analyses`` (text -> analysis) is reused and filled in, and
        what does not depend on the changed entries is taken from ``previous``."""
        weights = weights or MatchWeights()
        if vocabulary is None and not weights.use_expansion:
            shipped = Vocabulary.load()
            vocabulary = Vocabulary(social=shipped.social, stop=shipped.stop)
        analyzer = Analyzer(synonyms, vocabulary, weights.use_stemmer)
        known = {} if analyses is None else analyses

        def analyze(text: str) -> Analysis:  # knowledge texts only: queries are not kept
            found = known.get(text)
            if found is None:
                found = known[text] = analyzer.analyze(text)
            return found

        def builder() -> IndexBuilder:
            return IndexBuilder([weights.both_fields, weights.question_field])

        words, readings, english = builder(), builder(), builder()
        q_words: list[list[str]] = []
        a_words: list[tuple[str, ...]] = []
        fuzzy_strings: list[str] = []
        owners: list[int] = []
        fuzzy_en: list[str] = []
        en_owners: list[int] = []
        for number, doc in enumerate(documents):
            short = [analyze(t) for t in (*doc.questions, *doc.keywords)]
            body = analyze(doc.body) if doc.body else Analysis((), "", ())
            qw = [w for a in short for w in a.words]
            q_words.append(qw)
            a_words.append(body.words)
            words.add([qw + list(body.words) if weights.word_body else qw, qw])
            qg = [g for a in short for g in char_ngrams(a.reading)]
            ag = char_ngrams(body.reading) if weights.reading_body else []
            readings.add([qg + ag, qg])
            qe = [w for a in short for w in a.english]
            english.add([qe + list(body.english), qe])
            for analysis in short:
                reading = analysis.reading.replace(" ", "")
                if reading:
                    fuzzy_strings.append(reading)
                    owners.append(number)
                if analysis.english:
                    fuzzy_en.append(" ".join(analysis.english))
                    en_owners.append(number)

        def pack(built: IndexBuilder) -> TermIndex:
            return built.build(
                k1=weights.k1, b=weights.b, head=weights.max_postings, dense=weights.dense_share
            )

        word_index = pack(words)
        asked = frozenset(w for ws in q_words for w in ws)
        dense = None
        vectors = WordVectors.load() if weights.use_dense or weights.use_neighbours else None
        if vectors is not None and documents:
            # Expansions go to the words people ask with: the questions' and keywords' words.
            dense = DenseIndex(
                vectors,
                word_index.idf,
                q_words,
                a_words,
                sorted(asked),
                neighbours=(weights.neighbour_count, weights.neighbour_threshold)
                if weights.use_neighbours
                else None,
                previous=previous.dense if previous is not None else None,
            )
        return cls(
            ids=[d.id for d in documents],
            dense=dense,
            related_entries=_related_entries(documents),
            calibration=calibration or (Calibration.load() if weights.use_calibration else None),
            analyzer=analyzer,
            words=word_index,
            readings=pack(readings),
            english=pack(english),
            fuzzy=_FuzzyTable.build(fuzzy_strings, owners, len(documents)),
            fuzzy_english=_FuzzyTable.build(fuzzy_en, en_owners, len(documents)),
            priors=np.asarray([d.prior for d in documents], dtype=np.float32),
            weights=weights,
            vocabulary=vocabulary,
            documents=tuple(documents),
            analyses=known,
            asked=asked,
        )

    def __len__(self) -> int:
        return len(self.ids)

    # -- incremental updates: staff publish one entry at a time from the console -------------

    def replace_documents(self, entry_id: str, documents: Sequence[Document]) -> Matcher:
        """A new matcher in which ``entry_id``'s documents are ``documents`` (none: removed).

        Only texts not seen before are analysed (Sudachi is most of a build), so an update
        costs the changed entry plus assembling the postings. ``self`` is left as it was:
        a search running on it in another thread keeps a consistent index.
        """
        kept = [d for d in self.documents if d.id != entry_id]
        return Matcher.build(
            [*kept, *documents],
            self.analyzer.synonyms,
            self.weights,
            vocabulary=self.vocabulary,
            calibration=self.calibration,
            analyses=self.analyses,
            previous=self,
        )

    def remove(self, entry_id: str) -> Matcher:
        """A new matcher without ``entry_id``."""
        return self.replace_documents(entry_id, ())

    def rank(self, query: str, k: int = 3) -> list[Candidate]:
        """The k best entries for a query, best first, each with a score in [0, 1].

        A message without content (はい, ありがとう, 👍) ranks nothing. The top candidate carries
        the calibrated confidence and the returned candidates related to it.
        """
        return self.explain(query, k)[0]

    def explain(self, query: str, k: int = 3) -> tuple[list[Candidate], dict[str, float]]:
        """``rank``, plus the features the confidence was computed from."""
        if not self.ids:
            return [], {}
        analysis = self.analyzer.analyze_query(query)
        if not analysis.content:
            return [], {}
        if self.weights.use_expansion:
            analysis = self._stand_ins(analysis)
        w = self.weights
        n_candidates = min(max(w.candidates, k), len(self.ids))
        # Dense re-rank: only when the query has words (English-only queries have none).
        rerank = w.use_dense and self.dense is not None and bool(analysis.words)
        keep = max(n_candidates, min(w.dense_rerank, len(self.ids)) if rerank else 0)
        retrieval, english_query = self._retrieve(analysis, keep if w.prune else 0)
        if not retrieval.any():
            return [], {}
        if rerank and self.dense is not None:
            # Scores only rise in the pool, so the candidates are the pool's best.
            n = min(w.dense_rerank, len(self.ids))
            pool = np.argpartition(-retrieval, n - 1)[:n]
            pool = pool[retrieval[pool] > 0]
            sims = np.maximum(self.dense.similarity(analysis.words, pool), 0.0)
            pooled = retrieval[pool] / (1 + w.dense)  # only the pool is looked at again
            pooled += w.dense / (1 + w.dense) * sims
            m = min(n_candidates, pool.size)
            best = np.argpartition(-pooled, m - 1)[:m]
            top, scores = pool[best], pooled[best]
        else:
            top = np.argpartition(-retrieval, n_candidates - 1)[:n_candidates]
            top = top[retrieval[top] > 0]
            scores = retrieval[top]
        fuzzy = np.zeros(top.size, dtype=np.float32)
        reading_length = len(analysis.reading.replace(" ", ""))
        fuzzy_wanted = english_query or reading_length <= w.fuzzy_max_reading
        if w.use_fuzzy and top.size and fuzzy_wanted:
            fuzzy = self._fuzzy(analysis, top, english_query)
            if english_query:
                short = len(analysis.english) <= w.short_english
            else:
                short = reading_length <= w.short_reading
            lam = w.fuzzy_short if short else w.fuzzy_long
            scores = (1 - lam) * scores + lam * fuzzy
        scores = np.clip(scores * self.priors[top], 0.0, 1.0)
        order = np.argsort(-scores, kind="stable")
        docs = [int(top[i]) for i in order]
        features = self._features(analysis, english_query, docs, scores[order], fuzzy[order])
        confidence = self.calibration.probability(features) if self.calibration else None
        one_word = (
            len(analysis.words) + len(analysis.english) <= 2
            and reading_length <= w.one_word_reading
        )
        if confidence is not None and one_word:
            runner_up = features["score"] - features["margin"]
            if runner_up > (1 - w.one_word_margin) * features["score"]:
                confidence = min(confidence, w.one_word_cap)
        if confidence is not None and features["unknown"] >= w.unknown_share:
            confidence = min(confidence, w.one_word_cap)
        shown = docs[:k]
        ranked = [
            Candidate(
                self.ids[d],
                float(scores[order[i]]),
                confidence if i == 0 else None,
                tuple(self.ids[o] for o in shown if o in self.related_entries.get(d, ())),
            )
            for i, d in enumerate(shown)
        ]
        return ranked, features

    def _features(
        self,
        analysis: Analysis,
        english_query: bool,
        docs: list[int],
        scores: FloatArray,
        fuzzy: FloatArray,
    ) -> dict[str, float]:
        best = docs[0]
        related = self.related_entries.get(best, frozenset())
        unrelated = [
            float(s) for d, s in zip(docs[1:], scores[1:], strict=True) if d not in related
        ]
        index, terms = (
            (self.english, analysis.english) if english_query else (self.words, analysis.words)
        )
        found, missing = index.evidence(terms, best)
        distinct = set(terms)
        unknown = sum(not index.knows(t) for t in distinct) / max(len(distinct), 1)
        return {
            "score": float(scores[0]),
            "evidence": float(np.log1p(found)),
            "missing": float(np.log1p(missing)),
            "margin": float(scores[0]) - (unrelated[0] if unrelated else 0.0),
            "margin_next": float(scores[0]) - (float(scores[1]) if len(docs) > 1 else 0.0),
            "fuzzy": float(fuzzy[0]),
            "length": float(np.log1p(len(analysis.words) + len(analysis.english))),
            "related": float(len(docs) > 1 and docs[1] in related),
            "english": float(english_query),
            "unknown": unknown,
        }

    def _retrieve(self, analysis: Analysis, keep: int) -> tuple[FloatArray, bool]:
        """Fused, coverage-normalised retrieval scores (exact for the ``keep`` best)."""
        w = self.weights
        english_query = bool(analysis.english) and not analysis.words
        expansion = w.expansion if w.use_expansion else 0.0
        english_extra = analysis.english_expanded if expansion else ()
        extra_en = dict.fromkeys(english_extra, expansion)
        if english_query:
            found = self.english.query(analysis.english, extra_en)
            if not found.ceiling:
                return np.zeros(len(self.ids)), True
            return fused_scores([(found, 1 / found.ceiling)], len(self.ids), keep), True
        parts: list[tuple[float, QueryTerms]] = []
        if w.use_words and analysis.words:
            extra = dict.fromkeys(analysis.expanded, expansion) if expansion else {}
            if w.use_neighbours and self.dense is not None:
                found_near = self.dense.neighbours_of(
                    analysis.words, w.neighbour_count, w.neighbour_threshold
                )
                for word, near in zip(analysis.words, found_near, strict=True):
                    for other in near:
                        # A neighbour weighs at most what its word does: the rare neighbours
                        # of a common word (所 -> 辺り) would otherwise swamp the coverage.
                        ratio = min(1.0, self.words.idf(word) / self.words.idf(other))
                        extra.setdefault(other, w.neighbour_weight * ratio)
            # Words used only in passing (先月, 生まれる) count less than the message's nouns.
            lesser = set(analysis.secondary) if w.secondary < 1 else set()
            main = [x for x in analysis.words if x not in lesser]
            extra.update((x, w.secondary) for x in analysis.words if x in lesser)
            parts.append((w.word, self.words.query(main, extra)))
        grams = char_ngrams(analysis.reading) if w.use_reading else []
        if w.max_reading_grams:
            grams = self.readings.rarest(grams, w.max_reading_grams)
        if grams:
            parts.append((w.reading, self.readings.query(grams)))
        if analysis.english:
            parts.append((w.english, self.english.query(analysis.english, extra_en)))
        parts = [(weight, found) for weight, found in parts if found.ceiling]
        used = sum(weight for weight, _ in parts)
        if not used:
            return np.zeros(len(self.ids)), False
        scaled = [(found, weight / found.ceiling / used) for weight, found in parts]
        return fused_scores(scaled, len(self.ids), keep), False

    def _stand_ins(self, analysis: Analysis) -> Analysis:
        """A query word no entry is asked with (逃げる: in one answer only, in another sense)
        mostly lowers the coverage; where the vocabulary file names the entries' word for it
        (避難), that word stands in for it, at full weight."""
        words: list[str] = []
        for word in analysis.words:
            targets = self.analyzer.expansions(word)
            if targets and word not in self.asked:
                words.extend(targets)
            else:
                words.append(word)
        if words == list(analysis.words):
            return analysis
        unique = tuple(dict.fromkeys(words))
        expanded = tuple(x for x in analysis.expanded if x not in unique)
        return dataclasses.replace(analysis, words=unique, expanded=expanded)

    def _fuzzy(self, analysis: Analysis, top: np.ndarray, english_query: bool) -> FloatArray:
        """Best rapidfuzz similarity (0..1) of the query to each candidate's questions."""
        w = self.weights
        if english_query:
            return self.fuzzy_english.best(" ".join(analysis.english), top, _SCORERS[w.scorer])
        return self.fuzzy.best(analysis.reading.replace(" ", ""), top, _SCORERS[w.scorer])


def _related_entries(documents: Sequence[Document]) -> dict[int, frozenset[int]]:
    """Entries of one topic: the ``related`` lists, read both ways."""
    number = {d.id: i for i, d in enumerate(documents)}
    pairs: dict[int, set[int]] = {}
    for i, doc in enumerate(documents):
        for other in doc.related:
            j = number.get(other)
            if j is not None and j != i:
                pairs.setdefault(i, set()).add(j)
                pairs.setdefault(j, set()).add(i)
    return {i: frozenset(s) for i, s in pairs.items()}
