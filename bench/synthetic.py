"""Grow the shipped knowledge base to N entries for scale measurements.

Each synthetic entry takes a shipped entry and varies it: questions recombined with words of
other entries, a distinct id, the answer shuffled by sentences. The result has the statistics of
our data (lengths, vocabulary) at any size, without claiming to be real content.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from intents.matcher import Document


def grow(base: Sequence[Document], size: int, seed: int = 7) -> list[Document]:
    rng = random.Random(seed)
    docs = list(base)
    vocabulary = [w for d in base for w in d.keywords] or ["ごみ"]
    while len(docs) < size:
        source = base[rng.randrange(len(base))]
        extra = rng.sample(vocabulary, k=min(3, len(vocabulary)))
        questions = tuple(
            f"{q}（{rng.choice(extra)}）" if rng.random() < 0.5 else f"{rng.choice(extra)}の{q}"
            for q in source.questions
        )
        sentences = source.body.split("。")
        rng.shuffle(sentences)
        docs.append(
            Document(
                id=f"{source.id}.v{len(docs)}",
                questions=questions,
                keywords=(*source.keywords[:3], *extra),
                body="。".join(sentences),
            )
        )
    return docs[:size]
