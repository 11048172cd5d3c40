"""The words the seed writes with: names, tag names, post and comment bodies, media types."""

from __future__ import annotations

import random


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _split(
    "Ada Alan Amara Ana Anders Aoife Arjun Aya Ben Bo Carla Chen Chloe Dario Dev Elif Elena Emil Eva "
    "Farah Finn Gabriel Grace Hana Hugo Ines Isak Ivan Jade Jonas Jun Kai Kofi Lara Leo Lina Luca Maya "
    "Mateo Mila Nadia Nia Noah Nora Olga Omar Oskar Paula Priya Rafael Rosa Sami Sara Sofia Tariq Theo "
    "Uma Vera Yara Yusuf Zoe"
)
LAST_NAMES = _split(
    "Abe Alvarez Berg Bianchi Chen Costa Dahl Diaz Eriksen Fischer Garcia Haddad Hansen Ito Jensen Kaur "
    "Kim Kowalski Lambert Larsen Li Lopez Martin Meyer Moreau Murphy Nakamura Novak Okafor Olsen Park "
    "Patel Petrov Quinn Rossi Sato Schmidt Silva Singh Smith Suzuki Tanaka Torres Varga Wagner Wang Weber "
    "Wong Yilmaz Zhang"
)
TAG_NAMES = (
    "family",
    "close friends",
    "work",
    "climbing club",
    "book club",
    "neighbours",
    "school friends",
    "running crew",
    "choir",
    "gaming",
    "old colleagues",
    "cousins",
    "travel buddies",
    "parents group",
    "band",
    "volunteers",
)
WORDS = _split(
    "the a we our my today weekend morning evening trip home garden city mountain river coffee dinner "
    "lunch photos new old little big first last best great lovely quiet busy long short finally again "
    "just really went saw made found tried read watched cooked climbed walked ran visited finished "
    "started loved missed book film song album recipe bread cake soup hike ride swim concert game match "
    "party class meeting project kids dog cat friends family team neighbours with and at in on for after "
    "before around near under over sunny rainy windy cold warm snow beach lake forest park market museum "
    "station library"
)
CONTENT_TYPES = ("image/jpeg", "image/jpeg", "image/jpeg", "image/png", "image/webp", "video/mp4")


def sentence_pool(rng: random.Random, n: int, min_words: int, max_words: int, sentences: tuple[int, int]) -> list[str]:
    """``n`` texts of ``sentences`` sentences of ``min_words``-``max_words`` words each."""
    pool = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(*sentences)):
            words = rng.choices(WORDS, k=rng.randint(min_words, max_words))
            parts.append(" ".join(words).capitalize() + rng.choice((".", ".", ".", "!", "?")))
        pool.append(" ".join(parts))
    return pool
