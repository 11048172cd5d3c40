"""The rows of every seeded table, as COPY text lines, from the generated :class:`~.dataset.Dataset`."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime

from .dataset import Dataset
from .options import KEY_PREFIX, TAGS_PER_USER
from .text import CONTENT_TYPES, FIRST_NAMES, LAST_NAMES
from .tokens import token_digest


def ts(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(sep=" ")


class Rows:
    """One generator per table; each uses its own ``random.Random(seed + k)`` where it needs one."""

    def __init__(self, data: Dataset, seed: int, password_hash: str) -> None:
        self.data = data
        self.seed = seed
        self.password_hash = password_hash
        self.user_t0 = data.clock.start - 365 * 86400.0  # accounts: 365-65 days before the window
        self.viewer_of = {v: k for k, v in data.graph.viewers.items()}

    def username(self, u: int) -> str:
        return f"growth{self.viewer_of[u]}" if u in self.viewer_of else f"user{u:05d}"

    def users(self) -> Iterator[str]:
        r = random.Random(self.seed + 1)
        for u in range(1, self.data.graph.n + 1):
            name = self.username(u)
            display = f"{r.choice(FIRST_NAMES)} {r.choice(LAST_NAMES)}"
            created = ts(self.user_t0 + r.random() * 300 * 86400.0)
            yield f"{u}\t{name}\t{name}@bench.hearth.test\t{self.password_hash}\t{display}\t\t{created}\n"

    def connections(self) -> Iterator[str]:
        r = random.Random(self.seed + 2)
        span = self.data.clock.now - self.user_t0
        for i, (a, b) in enumerate(self.data.graph.edges, 1):
            yield f"{i}\t{a}\t{b}\tconnected\t{ts(self.user_t0 + r.random() * span)}\n"

    def user_tags(self) -> Iterator[str]:
        when = ts(self.data.clock.start - 86400.0)
        for u in range(1, self.data.graph.n + 1):
            base = (u - 1) * TAGS_PER_USER + 1
            for t, name in enumerate(self.data.tags.names[u]):
                yield f"{base + t}\t{u}\t{name}\t{when}\n"

    def user_tag_members(self) -> Iterator[str]:
        when = ts(self.data.clock.start - 86400.0)
        members = self.data.tags.members
        for tag_id in range(1, len(members)):
            owner = (tag_id - 1) // TAGS_PER_USER + 1
            for m in members[tag_id]:
                yield f"{tag_id}\t{m}\t{owner}\t{when}\n"

    def media(self) -> Iterator[str]:
        r = random.Random(self.seed + 3)
        for m in self.data.media:
            when = ts(m.time)
            ctype = r.choice(CONTENT_TYPES)
            size = r.randint(20_000, 4_000_000)
            key = f"{KEY_PREFIX}u{m.owner}/m{m.media_id}"
            yield f"{m.media_id}\t{m.owner}\t{key}\t{ctype}\t{size}\tready\t{when}\t{when}\n"

    def posts(self) -> Iterator[str]:
        r = random.Random(self.seed + 4)
        posts, bodies = self.data.posts, self.data.post_bodies
        nb = len(bodies)
        media: dict[int, list[tuple[int, int]]] = {}
        for m in self.data.media:
            media.setdefault(m.post_id, []).append((m.position, m.media_id))
        for i in range(len(posts)):
            pid = i + 1
            when = ts(posts.time[i])
            kind = "tags" if pid in posts.tags else "connections"
            body = bodies[int(r.random() * nb)]
            ids = ",".join(str(mid) for _, mid in sorted(media.get(pid, ())))
            yield (f"{pid}\t{posts.author[i]}\t{body}\t{kind}\t{posts.comment_count[pid]}\t{when}\t{when}\t{{{ids}}}\n")

    def post_audience_tags(self) -> Iterator[str]:
        tags = self.data.posts.tags
        for pid in sorted(tags):
            for t in tags[pid]:
                yield f"{pid}\t{t}\n"

    def post_media(self) -> Iterator[str]:
        for m in self.data.media:
            yield f"{m.post_id}\t{m.media_id}\t{m.position}\n"

    def comments(self) -> Iterator[str]:
        bodies = self.data.comment_bodies
        for cid, (t, pid, who, b) in enumerate(self.data.comments, 1):
            yield f"{cid}\t{pid}\t{who}\t{bodies[b]}\t{ts(t)}\n"

    def auth_tokens(self) -> Iterator[str]:
        now = self.data.clock.now
        expires, created = ts(now + 365 * 86400.0), ts(now - 3600.0)
        for i, row in enumerate(self.data.token_users, 1):
            yield f"{i}\t{row['id']}\t\\\\x{token_digest(row['token']).hex()}\t{created}\t{expires}\n"
