"""Generating the network in memory, one phase at a time, from one ``random.Random``.

The phases must run in this module's order on the same generator (:func:`generate` does): each one draws
from it, so the content is a pure function of the sizes and the seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .graph import Graph, generate_graph
from .options import MEDIA_SHARE, TAG_SHARE, TAGS_PER_USER, SeedOptions
from .progress import Progress, Tick
from .text import TAG_NAMES, sentence_pool
from .tokens import pick_token_users


@dataclass(frozen=True)
class Clock:
    """The dataset's time window: posts fall uniformly in [start, now] (epoch seconds)."""

    now: float
    days: int

    @property
    def window(self) -> float:
        return self.days * 86400.0

    @property
    def start(self) -> float:
        return self.now - self.window


@dataclass
class Tags:
    names: list[list[str]]  # user id -> the names of their TAGS_PER_USER tags
    members: list[list[int]]  # tag id -> member user ids (tag ids: (owner - 1) * TAGS_PER_USER + 1 ...)


@dataclass
class Posts:
    author: list[int]  # post id - 1 -> author id
    time: list[float]  # post id - 1 -> created_at (ascending: ids in time order)
    tags: dict[int, tuple[int, ...]]  # post id -> audience tag ids (tag-limited posts only)
    comment_count: list[int]  # post id -> comments (index 0 unused)

    def __len__(self) -> int:
        return len(self.author)


@dataclass
class Media:
    media_id: int
    post_id: int
    position: int
    owner: int
    time: float


Comment = tuple[float, int, int, int]  # (created_at, post id, author id, body index), sorted by time


@dataclass
class Dataset:
    clock: Clock
    graph: Graph
    tags: Tags
    post_bodies: list[str]
    comment_bodies: list[str]
    posts: Posts
    comments: list[Comment]
    media: list[Media]
    token_users: list[dict[str, Any]]  # [{id}], filled with username and token when loaded


def accumulate(values: Iterable[float]) -> Iterator[float]:
    total = 0.0
    for v in values:
        total += v
        yield total


def generate_tags(rng: random.Random, graph: Graph) -> Tags:
    """TAGS_PER_USER named tags per user, each holding 2-25% of the owner's connections."""
    names: list[list[str]] = [[] for _ in range(graph.n + 1)]
    members: list[list[int]] = [[]]  # index = tag id
    for u in range(1, graph.n + 1):
        names[u] = rng.sample(TAG_NAMES, TAGS_PER_USER)
        friends = graph.adj[u]
        for _ in range(TAGS_PER_USER):
            if friends:
                size = min(len(friends), max(1, round(len(friends) * rng.uniform(0.02, 0.25))))
                members.append(rng.sample(friends, size))
            else:
                members.append([])
    return Tags(names=names, members=members)


def generate_posts(rng: random.Random, n: int, count: int, clock: Clock) -> Posts:
    """Authors by a lognormal activity, times uniform over the window (ids in time order), 30% to 1-2 tags."""
    activity = [rng.lognormvariate(0.0, 1.0) for _ in range(n)]
    cum = list(accumulate(activity))
    author = rng.choices(range(1, n + 1), cum_weights=cum, k=count)
    times = sorted(clock.start + clock.window * rng.random() for _ in range(count))
    tags: dict[int, tuple[int, ...]] = {}
    for i in range(count):
        if rng.random() < TAG_SHARE:
            base = (author[i] - 1) * TAGS_PER_USER + 1
            k = 1 if rng.random() < 0.6 else 2
            tags[i + 1] = tuple(base + t for t in rng.sample(range(TAGS_PER_USER), k))
    return Posts(author=author, time=times, tags=tags, comment_count=[0] * (count + 1))


def generate_comments(
    rng: random.Random, posts: Posts, tags: Tags, graph: Graph, count: int, now: float, bodies: int, tick: Tick
) -> list[Comment]:
    """Posts drawn by a lognormal heat; each comment by someone who can see the post, soon after it.
    Counts them into ``posts.comment_count``."""
    comments: list[Comment] = []
    if not count:
        return comments
    heat = list(accumulate(rng.lognormvariate(0.0, 1.3) for _ in range(len(posts))))
    targets = rng.choices(range(1, len(posts) + 1), cum_weights=heat, k=count)
    rand = rng.random
    for j, pid in enumerate(targets):
        author = posts.author[pid - 1]
        post_tags = posts.tags.get(pid)
        pool = tags.members[post_tags[0]] if post_tags else graph.adj[author]
        who = author if not pool or rand() < 0.15 else pool[int(rand() * len(pool))]
        t0 = posts.time[pid - 1]
        comments.append((t0 + (now - t0) * rand() ** 4, pid, who, int(rand() * bodies)))
        posts.comment_count[pid] += 1
        if j % 100_000 == 0:
            tick(j)
    comments.sort()
    return comments


def generate_media(rng: random.Random, posts: Posts) -> list[Media]:
    """1-4 ready media on 10% of posts, uploaded just before the post."""
    media: list[Media] = []
    for pid in range(1, len(posts) + 1):
        if rng.random() < MEDIA_SHARE:
            r = rng.random()
            count = 1 if r < 0.7 else 2 if r < 0.9 else rng.randint(3, 4)
            owner, t = posts.author[pid - 1], posts.time[pid - 1] - 30.0
            for pos in range(count):
                media.append(Media(len(media) + 1, pid, pos, owner, t))
    return media


def generate(options: SeedOptions, clock: Clock, progress: Progress) -> Dataset:
    rng = random.Random(options.seed)
    n = options.users
    p = progress.phase
    with p("generate graph") as tick:
        graph = generate_graph(rng, n)
        tick(len(graph.edges))
    with p("generate tags") as tick:
        tags = generate_tags(rng, graph)
        tick(sum(len(m) for m in tags.members))
    post_bodies = sentence_pool(rng, 4096, 4, 16, (1, 4))
    comment_bodies = sentence_pool(rng, 2048, 2, 12, (1, 2))
    with p("generate posts", options.posts) as tick:
        posts = generate_posts(rng, n, options.posts, clock)
        tick(options.posts)
    with p("generate comments", options.comments) as tick:
        comments = generate_comments(rng, posts, tags, graph, options.comments, clock.now, len(comment_bodies), tick)
        tick(len(comments))
    with p("generate media") as tick:
        media = generate_media(rng, posts)
        tick(len(media))
    token_users = pick_token_users(rng, n, graph.viewers, options.tokens)
    return Dataset(clock, graph, tags, post_bodies, comment_bodies, posts, comments, media, token_users)
