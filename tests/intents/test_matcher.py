"""The matcher on a small hand-made collection: each regime the citizen types in."""

from __future__ import annotations

import dataclasses

import pytest

from bot.knowledge_service import Knowledge
from intents.analyzer import Synonyms, Vocabulary
from intents.decide import Limits, Verdict, decide
from intents.matcher import Candidate, Document, Matcher, MatchWeights
from knowledge.documents import entry_documents

DOCS = [
    Document(
        "dentist",
        ("休日に歯医者を探したい", "Dentist open on holidays"),
        ("歯医者", "歯科"),
        "休日当番の歯科医院は市のホームページで案内しています。",
    ),
    Document(
        "bulky",
        ("粗大ごみを出したい", "ソファを捨てたい", "Bulky waste pickup"),
        ("粗大ごみ", "大型ごみ", "家具"),
        "粗大ごみの収集は申込制です。",
    ),
    Document(
        "juminhyo",
        ("住民票の写しがほしい", "Residence certificate"),
        ("住民票",),
        "住民票の写しはコンビニでも取れます。",
    ),
    Document(
        "snow",
        ("家の前の道路を除雪してほしい", "Snow clearing request"),
        ("除雪", "排雪"),
        "除雪の要望はこのチャットから受け付けます。",
    ),
    Document(
        "koseki",
        ("戸籍謄本を郵送で取りたい", "Family register by mail"),
        ("戸籍", "謄本"),
        "戸籍証明書は郵送で請求できます。手数料は定額小為替で同封します。",
    ),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.build(DOCS, Synonyms([["ごみ", "ゴミ"], ["除雪", "雪かき"]]))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("はいしゃ", "dentist"),  # hiragana for kanji
        ("ｿﾀﾞｲｺﾞﾐ", "bulky"),  # half-width kana
        ("住民表がほしい", "juminhyo"),  # typo with the same reading
        ("そだいごみを出しいたい", "bulky"),  # hiragana with a transposed kana
        ("雪かきに来てほしいんだけど", "snow"),  # synonym, casual
        (
            "戸籍謄本を取りたいのですが、遠くに住んでいて市役所に行けません。どうすればいいですか？",
            "koseki",
        ),  # long and conversational
        ("how do I get a residence certificate?", "juminhyo"),  # English
    ],
)
def test_top_candidate(matcher: Matcher, query: str, expected: str) -> None:
    ranked = matcher.rank(query, k=3)
    assert ranked[0].entry_id == expected
    assert 0.0 <= ranked[0].score <= 1.0


def test_scores_are_sorted_and_bounded(matcher: Matcher) -> None:
    ranked = matcher.rank("ごみ", k=5)
    scores = [c.score for c in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)


@pytest.mark.parametrize("query", ["", "   ", "😀😀😀", "\x00\x01", "a" * 10_000, "今日の株価"])
def test_odd_input_never_crashes_nor_answers_confidently(matcher: Matcher, query: str) -> None:
    decision = decide(matcher.rank(query, k=3), Limits())
    assert decision.verdict is not Verdict.ANSWER


def test_empty_collection_ranks_nothing() -> None:
    assert Matcher.build([]).rank("ごみ") == []


def test_decide_thresholds() -> None:
    limits = Limits(answer=0.5, margin=0.1, clarify=0.3, suggest=0.15)
    assert decide([Candidate("a", 0.6), Candidate("b", 0.4)], limits).verdict is Verdict.ANSWER
    assert decide([Candidate("a", 0.95), Candidate("b", 0.9)], limits).verdict is Verdict.CLARIFY
    close = decide([Candidate("a", 0.6), Candidate("b", 0.58), Candidate("c", 0.1)], limits)
    assert close.verdict is Verdict.CLARIFY
    assert [c.entry_id for c in close.candidates] == ["a", "b"]
    weak = decide([Candidate("a", 0.2), Candidate("b", 0.1)], limits)
    assert weak.verdict is Verdict.FALLBACK
    assert [c.entry_id for c in weak.candidates] == ["a"]  # offered as a suggestion
    assert decide([], limits).verdict is Verdict.FALLBACK


def test_a_word_no_entry_is_asked_with_gives_way_to_the_vocabulary_word() -> None:
    shelter = Document(
        "shelter", ("避難所はどこですか",), ("避難所",), "近くの避難所を確認してください。"
    )
    window = Document(
        "window",
        ("窓の断熱をしたい",),
        ("断熱", "内窓"),
        "熱の多くは窓から逃げるため、内窓が有効です。",
    )
    vocabulary = Vocabulary(expand={"逃げる": ("避難所",)})
    matcher = Matcher.build([shelter, window], vocabulary=vocabulary)
    ranked = matcher.rank("どこに逃げればいい", k=2)
    assert ranked[0].entry_id == "shelter"
    # 逃げる (only in the window answer, in another sense) no longer drags the score down: the
    # citizen's word counts about as much as the entries' own word would.
    assert ranked[0].score >= 0.8 * matcher.rank("どこに避難すればいい", k=1)[0].score


def test_a_message_of_words_no_entry_contains_is_not_answered(matcher: Matcher) -> None:
    ranked, features = matcher.explain("明日の競馬の予想と天気", k=3)
    assert features["unknown"] >= 0.5
    assert decide(ranked, Limits()).verdict is not Verdict.ANSWER


def test_pruning_never_changes_the_ranking(knowledge: Knowledge) -> None:
    """The shipped entries with 8 postings per term in the heads and a small re-rank pool, so
    that most terms are cut short: every query ranks as when every posting is read."""
    docs = entry_documents(knowledge.kb)
    weights = MatchWeights(max_postings=8, dense_rerank=40, candidates=10, prune=True)
    matcher = Matcher.build(docs, Synonyms([["ごみ", "ゴミ"]]), weights)
    queries = [q for d in docs[::3] for q in d.questions[:2]] + [d.body[:60] for d in docs[::7]]
    pruned = [matcher.rank(q, k=5) for q in queries]
    matcher.weights = dataclasses.replace(weights, prune=False)
    for query, got in zip(queries, pruned, strict=True):
        full = matcher.rank(query, k=5)
        assert [c.entry_id for c in got] == [c.entry_id for c in full], query
        assert [c.score for c in got] == pytest.approx([c.score for c in full], abs=1e-6)


def test_a_long_message_is_searched_by_its_rarest_reading_bigrams() -> None:
    synonyms = Synonyms([["ごみ", "ゴミ"], ["除雪", "雪かき"]])
    every = Matcher.build(DOCS, synonyms, MatchWeights(max_reading_grams=0))
    capped = Matcher.build(DOCS, synonyms, MatchWeights(max_reading_grams=16))
    short = "住民票がほしい"  # fewer distinct bigrams than the cap: searched as before
    assert [(c.entry_id, c.score) for c in capped.rank(short)] == [
        (c.entry_id, c.score) for c in every.rank(short)
    ]
    long = (
        "すみません、先日こちらに引っ越してきたばかりでよくわからないのですが、"
        "週末に大雪が降ったので家の前の道路を除雪してほしいと思っているのですが、どうすればいいですか"
    )
    assert capped.rank(long)[0].entry_id == every.rank(long)[0].entry_id == "snow"
    # the filler's common bigrams (です, ので, いい) are left out: the scores differ
    assert capped.rank(long)[0].score != pytest.approx(every.rank(long)[0].score, abs=1e-6)


def test_nearest_words_read_from_the_table_equal_the_search(knowledge: Knowledge) -> None:
    """The neighbours precomputed with the index, for every distinct vector, are what the
    query-time search finds: the words the entries are asked with and one word per vector."""
    matcher = Matcher.build(entry_documents(knowledge.kb), Synonyms([]))
    dense = matcher.dense
    assert dense is not None
    w = matcher.weights
    assert dense.nearest_for == (w.neighbour_count, w.neighbour_threshold)
    one_per_vector = {row: word for word, row in dense.vectors.row_of.items()}
    words = [*sorted(matcher.asked), *one_per_vector.values()]
    table = dense.neighbours_of(words, w.neighbour_count, w.neighbour_threshold)
    searched = dense.search_neighbours(words, w.neighbour_count, w.neighbour_threshold)
    assert table == searched
    assert sum(map(bool, table)) > len(words) // 4  # most words have some neighbour
    assert "排雪" in dense.neighbours_of(["除雪"])[0]


def test_an_update_reuses_the_nearest_words_only_while_the_asked_words_stay() -> None:
    synonyms = Synonyms([["ごみ", "ゴミ"], ["除雪", "雪かき"]])
    matcher = Matcher.build(DOCS, synonyms)
    snow = DOCS[3]
    answer_edited = matcher.replace_documents("snow", [dataclasses.replace(snow, body="変更")])
    asked_more = matcher.replace_documents(
        "snow",
        [dataclasses.replace(snow, questions=(*snow.questions, "屋根の雪下ろしを頼みたい"))],
    )
    assert matcher.dense is not None
    assert answer_edited.dense is not None
    assert asked_more.dense is not None
    assert answer_edited.dense.nearest is matcher.dense.nearest
    assert asked_more.dense.nearest is not matcher.dense.nearest
    fresh = Matcher.build([*DOCS[:3], *DOCS[4:], asked_more.documents[-1]], synonyms)
    assert fresh.dense is not None
    assert (asked_more.dense.nearest == fresh.dense.nearest).all()
    assert asked_more.dense.neighbours_of(["除雪"]) == fresh.dense.neighbours_of(["除雪"])


def test_a_long_message_is_about_its_nouns_not_what_happened_when() -> None:
    docs = [
        Document("allowance", ("児童手当はいつ振り込まれますか",)),
        Document("night", ("先月の夜中に生まれた",)),
        Document("school", ("入学の準備",)),
    ]
    words_only = MatchWeights(
        use_calibration=False,
        use_dense=False,
        use_neighbours=False,
        use_reading=False,
        use_fuzzy=False,
    )
    message = "先月の夜中に生まれました。児童手当は？"
    alike = Matcher.build(docs, weights=dataclasses.replace(words_only, secondary=1.0))
    nouns_first = Matcher.build(docs, weights=dataclasses.replace(words_only, secondary=0.5))
    assert alike.rank(message)[0].entry_id == "night"
    assert nouns_first.rank(message)[0].entry_id == "allowance"
