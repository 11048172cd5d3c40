"""The connection graph: lognormal degrees paired by the configuration model, plus the growth viewers."""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass

from .options import GROWTH_DEGREES


@dataclass
class Graph:
    n: int
    edges: list[tuple[int, int]]  # (a, b) with a < b, once per pair (as ``connections`` stores them)
    adj: list[list[int]]  # user id -> connected user ids
    viewers: dict[int, int]  # degree -> user id of the growth viewer with exactly that many connections

    def degree_stats(self) -> dict[str, float]:
        degrees = [len(self.adj[u]) for u in range(1, self.n + 1)]
        return {
            "median": float(statistics.median(degrees)),
            "mean": round(statistics.fmean(degrees), 1),
            "max": float(max(degrees)),
            "p99": float(sorted(degrees)[int(0.99 * (self.n - 1))]),
            "users_over_1000": float(sum(1 for d in degrees if d > 1000)),
        }


def generate_graph(rng: random.Random, n: int) -> Graph:
    """Lognormal degrees (configuration model) plus growth viewers with exact degrees (the highest ids)."""
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
    return Graph(n=n, edges=edges, adj=adj, viewers=viewer_ids)
