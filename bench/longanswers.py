"""A long-answer collection of N generated entries, for speed measurements at real sizes.

Real municipal FAQ collections have long answers (300–800 characters). Each generated entry is
made of sentences of the shipped answers whose nouns are swapped for random nouns of the whole
knowledge base (seeded RNG), so entries share the vocabulary and its statistics without being
copies of one another or of the shipped entries. Not content: only for timing.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from sudachipy import Dictionary, SplitMode

from intents.matcher import Document


def _nouns_and_sentences(
    base: Sequence[Document],
) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The nouns of the shipped answers, and each sentence with the nouns it contains."""
    tokenizer = Dictionary(dict="core").create()
    nouns: set[str] = set()
    sentences: list[tuple[str, list[str]]] = []
    for doc in base:
        for sentence in doc.body.split("\n")[0].split("。"):
            if len(sentence) < 12:
                continue
            found = [
                m.surface()
                for m in tokenizer.tokenize(sentence, SplitMode.C)
                if m.part_of_speech()[0] == "名詞" and len(m.surface()) >= 2
            ]
            nouns.update(found)
            sentences.append((sentence, found))
    return sorted(nouns), sentences


def long_answer_collection(base: Sequence[Document], size: int, seed: int = 11) -> list[Document]:
    rng = random.Random(seed)
    nouns, sentences = _nouns_and_sentences(base)

    def vary(item: tuple[str, list[str]]) -> str:
        sentence, present = item
        for noun in rng.sample(present, k=min(3, len(present))):
            sentence = sentence.replace(noun, rng.choice(nouns), 1)
        return sentence

    docs: list[Document] = []
    for number in range(size):
        target = rng.randint(300, 800)
        body: list[str] = []
        while sum(len(s) + 1 for s in body) < target:
            body.append(vary(rng.choice(sentences)))
        topic = rng.sample(nouns, k=3)
        questions = (
            f"{topic[0]}の{topic[1]}について",
            f"{topic[0]}を{topic[2]}で申し込みたい",
            vary(rng.choice(sentences))[:40],
        )
        docs.append(
            Document(
                id=f"gen.{number}",
                questions=questions,
                keywords=tuple(topic),
                body="。".join(body)[:target] + "。",
            )
        )
    return docs
