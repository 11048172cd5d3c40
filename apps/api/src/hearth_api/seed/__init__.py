"""``hearth seed``: a fast, deterministic generator of a realistic Hearth network, to look around in or
to benchmark.

Two sizes (:data:`SIZES`, ``--size``): ``demo`` (the default: 200 users, 2,000 posts, 4,000 comments over
30 days; a few users to log in as are printed at the end) and ``bench`` (below); ``--users``, ``--posts``,
``--comments``, ``--days`` and ``--tokens`` override the size's numbers. A database that holds users or
posts is refused (without ``--reset``) before anything is migrated or generated.

The whole dataset is generated in Python from one ``random.Random(seed)`` and streamed into PostgreSQL
with ``COPY ... (FREEZE)`` inside one transaction that first truncates every table (so a failed seed
leaves the database as it was). While loading, the secondary indexes are dropped and rebuilt from their
exact definitions afterwards, and (when the role may) foreign-key triggers are skipped with
``session_replication_role = replica``: the generator only writes consistent rows. The home timelines are
then derived in SQL from the loaded rows. Identity sequences are moved past the ids written, and every
table is analyzed at the end.

Shape (``bench``: 20,000 users, 1,000,000 posts, 2,000,000 comments over 90 days):

- connections: a lognormal degree sequence (median ~50, a few users with thousands) paired by the
  configuration model; the *growth viewers* have exactly 10, 100, 1,000 and 5,000 connections;
- 5 audience tags per user, members drawn from the owner's connections;
- posts by a long-tailed activity per author, uniform over ``--days``, ids in time order; 30% limited
  to 1-2 of the author's tags; media (``ready``, keys under ``bench/``) on 10% of posts;
- comments spread over posts with a long tail, written by someone who can see the post, soon after it;
  ``posts.comment_count`` is exact;
- home timelines: every user's newest ``HEARTH_TIMELINE_DEPTH`` (default 1,000) visible posts, and a
  horizon for each timeline that was cut (skipped, saying so, on a schema without those tables);
- every user's password is :data:`PASSWORD` (one argon2 hash, computed once); bearer tokens for a
  sample of users (and every growth viewer) go straight into ``auth_tokens`` (SHA-256, as identity
  stores them) and, in clear, into a JSON file for the load tool.

Content is a pure function of the sizes and ``--seed``; timestamps are relative to ``--now`` (default:
the current minute), so that "the last 24 hours" always holds posts.

Modules, one job each: :mod:`.options` (what is asked, what is reported), :mod:`.text` (words),
:mod:`.graph` (connections), :mod:`.dataset` (generating tags, posts, comments, media), :mod:`.tokens`,
:mod:`.rows` (COPY lines per table), :mod:`.load` (COPY), :mod:`.schema` (emptying, indexes, sequences,
statistics), :mod:`.timelines` (home timelines in SQL), :mod:`.pipeline` (the whole seed),
:mod:`.progress` (one line per phase; a bar while it runs, on a terminal).
"""

from __future__ import annotations

from .options import GROWTH_DEGREES, PASSWORD, SIZES, TIMELINE_DEPTH, SeedError, SeedOptions, SeedReport, Size
from .pipeline import now_arg, run, seed
from .timelines import rebuild as rebuild_timelines
from .tokens import seeded_token

__all__ = [
    "GROWTH_DEGREES",
    "PASSWORD",
    "SIZES",
    "TIMELINE_DEPTH",
    "SeedError",
    "SeedOptions",
    "SeedReport",
    "Size",
    "now_arg",
    "rebuild_timelines",
    "run",
    "seed",
    "seeded_token",
]
