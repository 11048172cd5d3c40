"""``hearth seed``: a fast, deterministic generator of a realistic Hearth network (for the benchmark).

The whole dataset is generated in Python from one ``random.Random(seed)`` and streamed into PostgreSQL
with ``COPY ... (FREEZE)`` inside one transaction that first truncates every table (so a failed seed
leaves the database as it was). While loading, the secondary indexes are dropped and rebuilt from their
exact definitions afterwards, and (when the role may) foreign-key triggers are skipped with
``session_replication_role = replica``: the generator only writes consistent rows. Identity sequences
are moved past the ids written, and every table is analyzed at the end.

Shape (defaults: 20,000 users, 1,000,000 posts, 2,000,000 comments over 90 days):

- connections: a lognormal degree sequence (median ~50, a few users with thousands) paired by the
  configuration model; the *growth viewers* have exactly 10, 100, 1,000 and 5,000 connections;
- 5 audience tags per user, members drawn from the owner's connections;
- posts by a long-tailed activity per author, uniform over ``--days``, ids in time order; 30% limited
  to 1-2 of the author's tags; media (``ready``, keys under ``bench/``) on 10% of posts;
- comments spread over posts with a long tail, written by someone who can see the post, soon after it;
  ``posts.comment_count`` is exact;
- every user's password is :data:`PASSWORD` (one argon2 hash, computed once); bearer tokens for a
  sample of users (and every growth viewer) go straight into ``auth_tokens`` (SHA-256, as identity
  stores them) and, in clear, into a JSON file for the load tool.

Content is a pure function of the sizes and ``--seed``; timestamps are relative to ``--now`` (default:
the current minute), so that "the last 24 hours" always holds posts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

PASSWORD = "hearth-bench-password"  # noqa: S105 - the documented password of every seeded user
GROWTH_DEGREES = (10, 100, 1000, 5000)
TAGS_PER_USER = 5
TAG_SHARE = 0.30  # of posts limited to tags
MEDIA_SHARE = 0.10  # of posts carrying media
KEY_PREFIX = "bench/"  # media keys: bench/u<owner>/m<id> (storage keys allow no dots)

# Tables the seed owns, in foreign-key order (parents first).
TABLES = (
    "users",
    "auth_tokens",
    "connection_requests",
    "connections",
    "blocks",
    "user_tags",
    "user_tag_members",
    "media",
    "posts",
    "post_audience_tags",
    "post_media",
    "comments",
)
IDENTITY_TABLES = (
    "users",
    "auth_tokens",
    "connection_requests",
    "connections",
    "user_tags",
    "media",
    "posts",
    "comments",
)


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST = _split(
    "Ada Alan Amara Ana Anders Aoife Arjun Aya Ben Bo Carla Chen Chloe Dario Dev Elif Elena Emil Eva "
    "Farah Finn Gabriel Grace Hana Hugo Ines Isak Ivan Jade Jonas Jun Kai Kofi Lara Leo Lina Luca Maya "
    "Mateo Mila Nadia Nia Noah Nora Olga Omar Oskar Paula Priya Rafael Rosa Sami Sara Sofia Tariq Theo "
    "Uma Vera Yara Yusuf Zoe"
)
_LAST = _split(
    "Abe Alvarez Berg Bianchi Chen Costa Dahl Diaz Eriksen Fischer Garcia Haddad Hansen Ito Jensen Kaur "
    "Kim Kowalski Lambert Larsen Li Lopez Martin Meyer Moreau Murphy Nakamura Novak Okafor Olsen Park "
    "Patel Petrov Quinn Rossi Sato Schmidt Silva Singh Smith Suzuki Tanaka Torres Varga Wagner Wang Weber "
    "Wong Yilmaz Zhang"
)
_TAG_NAMES = (
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
_WORDS = _split(
    "the a we our my today weekend morning evening trip home garden city mountain river coffee dinner "
    "lunch photos new old little big first last best great lovely quiet busy long short finally again "
    "just really went saw made found tried read watched cooked climbed walked ran visited finished "
    "started loved missed book film song album recipe bread cake soup hike ride swim concert game match "
    "party class meeting project kids dog cat friends family team neighbours with and at in on for after "
    "before around near under over sunny rainy windy cold warm snow beach lake forest park market museum "
    "station library"
)
_CONTENT_TYPES = ("image/jpeg", "image/jpeg", "image/jpeg", "image/png", "image/webp", "video/mp4")


@dataclass(frozen=True)
class SeedOptions:
    users: int = 20_000
    posts: int = 1_000_000
    comments: int = 2_000_000
    seed: int = 42
    days: int = 90
    tokens: int = 2_000
    tokens_file: Path = Path(".hearth/seed-tokens.json")
    reset: bool = False
    now: datetime | None = None

    def params(self) -> dict[str, int]:
        return {
            "users": self.users,
            "posts": self.posts,
            "comments": self.comments,
            "seed": self.seed,
            "days": self.days,
            "tokens": self.tokens,
        }


@dataclass
class SeedReport:
    params: dict[str, int]
    now: str
    password: str
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    max_ids: dict[str, int] = field(default_factory=dict)
    degree: dict[str, float] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    viewers: dict[str, dict[str, Any]] = field(default_factory=dict)  # "10" -> {id, username, degree, token}
    users: list[dict[str, Any]] = field(default_factory=list)  # [{id, username, token}] (viewers included)


class SeedError(RuntimeError):
    pass


# -- progress --------------------------------------------------------------------------------------------


class Progress:
    """One line per phase (rewritten in place on a terminal while it runs)."""

    def __init__(self, out: Any = None) -> None:
        self.out = out or sys.stdout
        self.tty = bool(getattr(self.out, "isatty", lambda: False)())
        self.phases: dict[str, float] = {}
        self.started = time.perf_counter()

    @contextmanager
    def phase(self, name: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        t0 = time.perf_counter()
        last = [0.0]
        done_rows = [0]

        def tick(n: int) -> None:
            done_rows[0] = n
            now = time.perf_counter()
            if self.tty and now - last[0] > 0.25:
                last[0] = now
                pct = f" {100 * n / total:5.1f}%" if total else ""
                self.out.write(f"\r  {name:<24} {n:>12,}{pct}  {now - t0:6.1f}s")
                self.out.flush()

        yield tick
        secs = time.perf_counter() - t0
        self.phases[name] = round(secs, 2)
        rows = f"{done_rows[0]:>12,} rows" if done_rows[0] else " " * 17
        rate = f"  ({done_rows[0] / secs:,.0f}/s)" if done_rows[0] and secs > 0 else ""
        lead = "\r" if self.tty else ""
        self.out.write(f"{lead}  {name:<24} {rows} {secs:7.1f}s{rate}\n")
        self.out.flush()


# -- helpers ---------------------------------------------------------------------------------------------


def plain_dsn(url: str) -> str:
    """A libpq URL from any (SQLAlchemy-style) PostgreSQL URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def seeded_token(seed: int, user_id: int) -> str:
    """A deterministic token shaped like ``secrets.token_urlsafe(32)`` (43 url-safe characters)."""
    raw = hashlib.sha256(f"hearth-bench-token:{seed}:{user_id}".encode()).digest()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()  # as hearth_identity stores it


def _ts(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(sep=" ")


class _Copier:
    """Buffers COPY text lines and sends them in large chunks."""

    def __init__(self, copy: Any, tick: Callable[[int], None], chunk: int = 20_000) -> None:
        self.copy = copy
        self.tick = tick
        self.chunk = chunk
        self.buf: list[str] = []
        self.rows = 0

    def add(self, line: str) -> None:
        self.buf.append(line)
        if len(self.buf) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self.copy.write("".join(self.buf))
            self.rows += len(self.buf)
            self.buf.clear()
            self.tick(self.rows)


def _sentence_pool(rng: random.Random, n: int, min_words: int, max_words: int, sentences: tuple[int, int]) -> list[str]:
    pool = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(*sentences)):
            words = rng.choices(_WORDS, k=rng.randint(min_words, max_words))
            parts.append(" ".join(words).capitalize() + rng.choice((".", ".", ".", "!", "?")))
        pool.append(" ".join(parts))
    return pool


# -- the dataset -----------------------------------------------------------------------------------------


@dataclass
class _Graph:
    n: int
    edges: list[tuple[int, int]]
    adj: list[list[int]]
    viewers: dict[int, int]  # degree -> user id


def _graph(rng: random.Random, n: int) -> _Graph:
    """Lognormal degrees (configuration model) plus growth viewers with exact degrees."""
    viewer_ids: dict[int, int] = {}
    room = n - len(GROWTH_DEGREES) - 1
    next_id = n
    for k in GROWTH_DEGREES:
        if k <= room:
            viewer_ids[k] = next_id
            next_id -= 1
    reserved = set(viewer_ids.values())
    others = [u for u in range(1, n + 1) if u not in reserved]

    median = min(50, max(3, n // 40))
    cap = max(2, min(4000, n // 5))
    mu = math.log(median)
    stubs: list[int] = []
    for u in others:
        d = round(rng.lognormvariate(mu, 1.0))
        stubs.extend([u] * max(1, min(cap, d)))
    rng.shuffle(stubs)

    seen: set[int] = set()
    edges: list[tuple[int, int]] = []
    width = n + 1
    # growth viewers first: exactly k distinct neighbours among ordinary users
    for k, v in viewer_ids.items():
        for u in rng.sample(others, k):
            a, b = (u, v) if u < v else (v, u)
            seen.add(a * width + b)
            edges.append((a, b))
    for i in range(0, len(stubs) - 1, 2):
        a, b = stubs[i], stubs[i + 1]
        if a == b:
            continue
        if a > b:
            a, b = b, a
        key = a * width + b
        if key in seen:
            continue
        seen.add(key)
        edges.append((a, b))
    adj: list[list[int]] = [[] for _ in range(n + 1)]
    for a, b in edges:
        adj[a].append(b)
        adj[b].append(a)
    return _Graph(n=n, edges=edges, adj=adj, viewers=viewer_ids)


def _check_empty(conn: psycopg.Connection[Any], reset: bool) -> None:
    has_rows = conn.execute("SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM posts)").fetchone()
    if has_rows and has_rows[0] and not reset:
        raise SeedError("the database already holds users or posts; pass --reset to replace everything in it")


def _secondary_indexes(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """(name, definition) of every index on the seeded tables that does not back a constraint."""
    rows = conn.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_namespace ns ON ns.oid = t.relnamespace
        WHERE ns.nspname = current_schema()
          AND t.relname = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY t.relname, i.relname
        """,
        (list(TABLES),),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def seed(database_url: str, options: SeedOptions, out: Any = None) -> SeedReport:
    """Generate and load the dataset; returns what was written (also written to ``options.tokens_file``)."""
    if options.users < 10:
        raise SeedError("--users must be at least 10")
    if options.posts < 0 or options.comments < 0 or options.days < 1 or options.tokens < 0:
        raise SeedError("sizes must not be negative and --days at least 1")
    if options.comments and not options.posts:
        raise SeedError("comments need posts")
    progress = Progress(out)
    started = time.perf_counter()
    now_dt = (options.now or datetime.now(UTC).replace(second=0, microsecond=0)).astimezone(UTC)
    now = now_dt.timestamp()
    window = options.days * 86400.0
    start = now - window
    rng = random.Random(options.seed)
    n = options.users
    report = SeedReport(params=options.params(), now=now_dt.isoformat(), password=PASSWORD, seconds=0.0)
    p = progress.phase

    # ---- generate in memory ----------------------------------------------------------------------------
    with p("generate graph") as tick:
        g = _graph(rng, n)
        tick(len(g.edges))
    degrees = [len(g.adj[u]) for u in range(1, n + 1)]
    report.degree = {
        "median": float(statistics.median(degrees)),
        "mean": round(statistics.fmean(degrees), 1),
        "max": float(max(degrees)),
        "p99": float(sorted(degrees)[int(0.99 * (n - 1))]),
        "users_over_1000": float(sum(1 for d in degrees if d > 1000)),
    }

    with p("generate tags") as tick:
        tag_names: list[list[str]] = [[] for _ in range(n + 1)]
        tag_members: list[list[int]] = [[]]  # index = tag id
        for u in range(1, n + 1):
            tag_names[u] = rng.sample(_TAG_NAMES, TAGS_PER_USER)
            friends = g.adj[u]
            for _ in range(TAGS_PER_USER):
                if friends:
                    size = min(len(friends), max(1, round(len(friends) * rng.uniform(0.02, 0.25))))
                    tag_members.append(rng.sample(friends, size))
                else:
                    tag_members.append([])
        tick(sum(len(m) for m in tag_members))

    post_bodies = _sentence_pool(rng, 4096, 4, 16, (1, 4))
    comment_bodies = _sentence_pool(rng, 2048, 2, 12, (1, 2))

    with p("generate posts", options.posts) as tick:
        activity = [rng.lognormvariate(0.0, 1.0) for _ in range(n)]
        cum = list(_accumulate(activity))
        post_author = rng.choices(range(1, n + 1), cum_weights=cum, k=options.posts)
        post_time = sorted(start + window * rng.random() for _ in range(options.posts))  # ids in time order
        post_tags: dict[int, tuple[int, ...]] = {}  # post id -> tag ids (tag-limited posts only)
        for i in range(options.posts):
            if rng.random() < TAG_SHARE:
                base = (post_author[i] - 1) * TAGS_PER_USER + 1
                k = 1 if rng.random() < 0.6 else 2
                post_tags[i + 1] = tuple(base + t for t in rng.sample(range(TAGS_PER_USER), k))
        tick(options.posts)

    with p("generate comments", options.comments) as tick:
        comment_count = [0] * (options.posts + 1)
        comments: list[tuple[float, int, int, int]] = []
        if options.comments:
            heat = list(_accumulate(rng.lognormvariate(0.0, 1.3) for _ in range(options.posts)))
            targets = rng.choices(range(1, options.posts + 1), cum_weights=heat, k=options.comments)
            rand = rng.random
            nbodies = len(comment_bodies)
            for j, pid in enumerate(targets):
                author = post_author[pid - 1]
                tags = post_tags.get(pid)
                pool = tag_members[tags[0]] if tags else g.adj[author]
                who = author if not pool or rand() < 0.15 else pool[int(rand() * len(pool))]
                t0 = post_time[pid - 1]
                comments.append((t0 + (now - t0) * rand() ** 4, pid, who, int(rand() * nbodies)))
                comment_count[pid] += 1
                if j % 100_000 == 0:
                    tick(j)
            comments.sort()
        tick(len(comments))

    with p("generate media") as tick:
        media: list[tuple[int, int, int, int, float]] = []  # (media id, post id, position, owner, time)
        for pid in range(1, options.posts + 1):
            if rng.random() < MEDIA_SHARE:
                r = rng.random()
                count = 1 if r < 0.7 else 2 if r < 0.9 else rng.randint(3, 4)
                for pos in range(count):
                    media.append((len(media) + 1, pid, pos, post_author[pid - 1], post_time[pid - 1] - 30.0))
        tick(len(media))

    token_users = _token_users(rng, n, g.viewers, options.tokens)

    with p("hash password"):
        password_hash = PasswordHasher().hash(PASSWORD)

    # ---- load ------------------------------------------------------------------------------------------
    with psycopg.connect(plain_dsn(database_url)) as conn:
        _check_empty(conn, options.reset)
        with p("prepare"):
            conn.execute("SET synchronous_commit = off")
            conn.execute("SET maintenance_work_mem = '512MB'")
            conn.execute("SET max_parallel_maintenance_workers = 2")
            try:
                with conn.transaction():
                    conn.execute("SET LOCAL session_replication_role = replica")  # skip FK triggers
                fk_skipped = True
            except psycopg.Error:
                fk_skipped = False
            if fk_skipped:
                conn.execute("SET session_replication_role = replica")
            conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
            indexes = _secondary_indexes(conn)
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')

        def copy(table: str, columns: str, rows: Iterable[str], total: int | None = None) -> int:
            with p(table, total) as tick, conn.cursor() as cur:
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FREEZE)") as cp:
                    c = _Copier(cp, tick)
                    for line in rows:
                        c.add(line)
                    c.flush()
                report.counts[table] = c.rows
                return c.rows

        user_t0 = start - 365 * 86400.0
        viewer_of = {v: k for k, v in g.viewers.items()}

        def usernames(u: int) -> str:
            return f"growth{viewer_of[u]}" if u in viewer_of else f"user{u:05d}"

        def user_rows() -> Iterator[str]:
            r = random.Random(options.seed + 1)
            for u in range(1, n + 1):
                name = usernames(u)
                display = f"{r.choice(_FIRST)} {r.choice(_LAST)}"
                created = _ts(user_t0 + r.random() * 300 * 86400.0)
                yield f"{u}\t{name}\t{name}@bench.hearth.test\t{password_hash}\t{display}\t\t{created}\n"

        copy("users", "id, username, email, password_hash, display_name, bio, created_at", user_rows(), n)

        def connection_rows() -> Iterator[str]:
            r = random.Random(options.seed + 2)
            for i, (a, b) in enumerate(g.edges, 1):
                yield f"{i}\t{a}\t{b}\tconnected\t{_ts(user_t0 + r.random() * (now - user_t0))}\n"

        copy("connections", "id, user_a_id, user_b_id, status, created_at", connection_rows(), len(g.edges))

        def tag_rows() -> Iterator[str]:
            ts = _ts(start - 86400.0)
            for u in range(1, n + 1):
                base = (u - 1) * TAGS_PER_USER + 1
                for t, name in enumerate(tag_names[u]):
                    yield f"{base + t}\t{u}\t{name}\t{ts}\n"

        copy("user_tags", "id, owner_user_id, name, created_at", tag_rows(), n * TAGS_PER_USER)

        def member_rows() -> Iterator[str]:
            ts = _ts(start - 86400.0)
            for tag_id in range(1, len(tag_members)):
                owner = (tag_id - 1) // TAGS_PER_USER + 1
                for m in tag_members[tag_id]:
                    yield f"{tag_id}\t{m}\t{owner}\t{ts}\n"

        copy("user_tag_members", "tag_id, target_user_id, owner_user_id, created_at", member_rows())

        def media_rows() -> Iterator[str]:
            r = random.Random(options.seed + 3)
            for mid, _pid, _pos, owner, t in media:
                ts = _ts(t)
                ctype = r.choice(_CONTENT_TYPES)
                size = r.randint(20_000, 4_000_000)
                yield f"{mid}\t{owner}\t{KEY_PREFIX}u{owner}/m{mid}\t{ctype}\t{size}\tready\t{ts}\t{ts}\n"

        copy(
            "media",
            "id, owner_id, key, content_type, size_bytes, status, created_at, ready_at",
            media_rows(),
            len(media),
        )

        def post_rows() -> Iterator[str]:
            r = random.Random(options.seed + 4)
            nb = len(post_bodies)
            for i in range(options.posts):
                pid = i + 1
                ts = _ts(post_time[i])
                kind = "tags" if pid in post_tags else "connections"
                body = post_bodies[int(r.random() * nb)]
                yield f"{pid}\t{post_author[i]}\t{body}\t{kind}\t{comment_count[pid]}\t{ts}\t{ts}\n"

        copy(
            "posts",
            "id, author_id, body, audience_type, comment_count, created_at, updated_at",
            post_rows(),
            options.posts,
        )

        def audience_rows() -> Iterator[str]:
            for pid in sorted(post_tags):
                for t in post_tags[pid]:
                    yield f"{pid}\t{t}\n"

        copy("post_audience_tags", "post_id, tag_id", audience_rows())
        copy("post_media", "post_id, media_id, position", (f"{pid}\t{mid}\t{pos}\n" for mid, pid, pos, _o, _t in media))

        def comment_rows() -> Iterator[str]:
            for cid, (t, pid, who, b) in enumerate(comments, 1):
                yield f"{cid}\t{pid}\t{who}\t{comment_bodies[b]}\t{_ts(t)}\n"

        copy("comments", "id, post_id, author_id, body, created_at", comment_rows(), len(comments))

        expires = _ts(now + 365 * 86400.0)
        created = _ts(now - 3600.0)
        for row in token_users:
            row["username"] = usernames(row["id"])
            row["token"] = seeded_token(options.seed, row["id"])

        def token_rows() -> Iterator[str]:
            for i, row in enumerate(token_users, 1):
                yield f"{i}\t{row['id']}\t\\\\x{token_digest(row['token']).hex()}\t{created}\t{expires}\n"

        copy("auth_tokens", "id, user_id, token_hash, created_at, expires_at", token_rows(), len(token_users))

        with p(f"rebuild {len(indexes)} indexes"):
            for _name, definition in indexes:
                conn.execute(definition)
        with p("sequences"):
            for table in IDENTITY_TABLES:
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - our own table names
                    f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
            if fk_skipped:
                conn.execute("SET session_replication_role = DEFAULT")
        with p("commit"):
            conn.commit()
        conn.autocommit = True
        with p("analyze"):
            conn.execute(f"ANALYZE {', '.join(TABLES)}")
        for table in ("users", "connections", "user_tags", "media", "posts", "comments"):
            top = conn.execute(f"SELECT COALESCE(max(id), 0) FROM {table}").fetchone()  # noqa: S608 - our own names
            report.max_ids[table] = int(top[0]) if top else 0

    report.users = token_users
    for k, uid in g.viewers.items():
        row = next(r for r in token_users if r["id"] == uid)
        report.viewers[str(k)] = {
            "id": uid,
            "username": row["username"],
            "degree": len(g.adj[uid]),
            "token": row["token"],
        }
    report.phases = progress.phases
    report.seconds = round(time.perf_counter() - started, 1)
    options.tokens_file.parent.mkdir(parents=True, exist_ok=True)
    options.tokens_file.write_text(json.dumps(asdict(report), indent=1))
    return report


def _accumulate(values: Iterable[float]) -> Iterator[float]:
    total = 0.0
    for v in values:
        total += v
        yield total


def _token_users(rng: random.Random, n: int, viewers: dict[int, int], count: int) -> list[dict[str, Any]]:
    special = sorted(viewers.values())
    ordinary = [u for u in range(1, n + 1) if u not in set(special)]
    picked = sorted(rng.sample(ordinary, min(count, len(ordinary))))
    return [{"id": u} for u in [*picked, *special]]


def run(database_url: str, options: SeedOptions) -> SeedReport:
    from . import migrate

    print(
        f"hearth seed: {options.users:,} users, {options.posts:,} posts, {options.comments:,} comments, "
        f"seed {options.seed}, {options.days} days",
        flush=True,
    )
    t0 = time.perf_counter()
    migrate.upgrade(database_url)
    print(f"  {'migrate':<24} {'':>17} {time.perf_counter() - t0:7.1f}s", flush=True)
    report = seed(database_url, options)
    c = report.counts
    print(
        f"seeded in {report.seconds:.1f}s: {c.get('users', 0):,} users, {c.get('connections', 0):,} connections "
        f"(median degree {report.degree['median']:.0f}, max {report.degree['max']:.0f}), "
        f"{c.get('user_tag_members', 0):,} tag memberships, {c.get('posts', 0):,} posts, "
        f"{c.get('comments', 0):,} comments, {c.get('media', 0):,} media; "
        f"tokens for {len(report.users):,} users in {options.tokens_file}",
        flush=True,
    )
    return report


def now_arg(value: str) -> datetime:
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


__all__ = ["GROWTH_DEGREES", "PASSWORD", "SeedError", "SeedOptions", "SeedReport", "run", "seed", "seeded_token"]
