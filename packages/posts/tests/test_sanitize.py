from __future__ import annotations

import threading
from html.parser import HTMLParser

import pytest

from hearth_posts.sanitize import has_text, link_mentions, mention_names, sanitize_html


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hi <script>alert(1)</script>", "hi &lt;script&gt;alert(1)&lt;/script&gt;"),
        ('<a href="javascript:alert(1)">x</a>', "x"),
        ('<A HREF="JaVaScRiPt:alert(1)">y</A>', "y"),
        ('<a href="data:text/html,<b>x</b>">d</a>', "d"),
        ('<b onclick="steal()">bold</b>', "<b>bold</b>"),
        ('<p onmouseover="x">p</p><img src=x onerror=alert(1)>', "<p>p</p>&lt;img src=x onerror=alert(1)&gt;"),
        (
            "see https://example.com now",
            'see <a href="https://example.com" rel="nofollow noopener">https://example.com</a> now',
        ),
        (
            '<a href="https://e.com" rel="opener" target="_blank">e</a>',
            '<a href="https://e.com" rel="nofollow noopener">e</a>',
        ),
        ('<a href="mailto:a@b.example">me</a>', '<a href="mailto:a@b.example" rel="nofollow noopener">me</a>'),
        ("<strong>s</strong><em>e</em><code>c</code>", "<strong>s</strong><em>e</em><code>c</code>"),
        ("<ul><li>one</li></ul><blockquote>q</blockquote>", "<ul><li>one</li></ul><blockquote>q</blockquote>"),
        ("nul\x00byte\x07", "nulbyte"),
        ('<iframe src="https://evil"></iframe>', '&lt;iframe src="https://evil"&gt;&lt;/iframe&gt;'),
        ("<style>body{}</style>", "&lt;style&gt;body{}&lt;/style&gt;"),
    ],
)
def test_sanitizer_keeps_the_safe_subset_only(raw: str, expected: str) -> None:
    assert sanitize_html(raw) == expected


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


@pytest.mark.parametrize(
    "nasty",
    [
        '<svg onload=alert(1)><a href="  javascript:alert(1)">x</a><div style="x" onclick="y">z</div>',
        '<a href="java&#x09;script:alert(1)">t</a><a href="vbscript:x">v</a>',
        '<p><b><i onmouseover="x">deep</i></b></p><form action="https://x"><input></form>',
        "<<script>script>alert(1)<</script>/script>",
        '<a href="https://ok.example" onclick="x" style="y">ok</a> www.example.com',
    ],
)
def test_only_allowed_tags_attributes_and_schemes_survive(nasty: str) -> None:
    parser = _Collect()
    parser.feed(sanitize_html(nasty))
    for tag, attrs in parser.tags:
        assert tag in {"a", "b", "strong", "i", "em", "code", "pre", "blockquote", "p", "br", "ul", "ol", "li"}
        for name, value in attrs:
            assert tag == "a" and name in {"href", "rel"}, (tag, name)
            if name == "href":
                assert (value or "").split(":", 1)[0] in {"http", "https", "mailto"}
            if name == "rel":
                assert value == "nofollow noopener"


def test_concurrent_requests_never_get_each_others_text() -> None:
    """Handlers run in a thread pool: sanitising must be thread-safe (a shared bleach Cleaner is not)."""
    wrong: list[str] = []

    def work(i: int) -> None:
        for j in range(300):
            out = sanitize_html(f"<b>t{i}-{j}</b> https://example.com/{i}/{j}")
            url = f"https://example.com/{i}/{j}"
            if out != f'<b>t{i}-{j}</b> <a href="{url}" rel="nofollow noopener">{url}</a>':
                wrong.append(out)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("evil\u202egnp.exe", "evilgnp.exe"),  # right-to-left override
        ("\u202dforced ltr\u202c", "forced ltr"),  # override and its pop
        ("\u202aa\u202b b\u202c", "a b"),  # embeddings
        ("\u2066x\u2067y\u2068z\u2069", "xyz"),  # isolates
        ("\ufeffbom", "bom"),
        ("a &#x202E; b &#X202e; c &#8238; d &#0008238;", "a  b  c  d"),  # as character references
        ("&#x2&#x202E;02E;x", "x"),  # a reference cut out never leaves another behind
        ("&#x0; &#1; &#x7f; n", "n"),  # control characters as references
        ('<a href="https://e.example/&#x202E;p">l</a>', '<a href="https://e.example/p" rel="nofollow noopener">l</a>'),
        ("marks stay: \u200f\u200e &#x200F; &#xE9;", "marks stay: \u200f\u200e &#x200F; &#xE9;"),
    ],
)
def test_bidi_overrides_and_controls_go_raw_or_as_references(raw: str, expected: str) -> None:
    assert sanitize_html(raw) == expected


@pytest.mark.parametrize(
    ("body", "shows"),
    [
        ("\u200b\u200c\u200d", False),
        ("<p>&#x200B;</p>", False),
        ("&nbsp; \u3164 \u2800", False),
        ("\u202e", False),
        ("👍", True),
        ("<b>ok</b>", True),
        ("\u200bx", True),
    ],
)
def test_a_body_must_show_some_text(body: str, shows: bool) -> None:
    assert has_text(sanitize_html(body)) is shows


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('<b title="t" lang="en" class="c" id="i">b</b><p dir="rtl">p</p>', "<b>b</b><p>p</p>"),  # no attribute
        ('<a href="/relative">r</a> <a href="//host.example/x">h</a>', "r h"),  # relative links go, text stays
        ('<a href="  https://e.example ">s</a>', '<a href="https://e.example" rel="nofollow noopener">s</a>'),
        (
            "go https://e.example/?a=1&b=2 now",
            'go <a href="https://e.example/?a=1&amp;b=2" rel="nofollow noopener">https://e.example/?a=1&amp;b=2</a> '
            "now",
        ),
        ("(www.example.com).", '(<a href="http://www.example.com" rel="nofollow noopener">www.example.com</a>).'),
        (
            "<pre>https://e.example</pre><code>www.e.example</code>",
            "<pre>https://e.example</pre><code>www.e.example</code>",
        ),
        (
            '<a href="https://a.example">https://b.example</a>',
            '<a href="https://a.example" rel="nofollow noopener">https://b.example</a>',
        ),
        ("ftp://e.example and a@b.example", "ftp://e.example and a@b.example"),  # neither is the contract's
        ("Tom & Jerry &lt;b&gt; &eacute; &foo;", "Tom &amp; Jerry &lt;b&gt; &eacute; &amp;foo;"),
        ('<img alt="https://e.example &#xE9;">', '&lt;img alt="https://e.example &#xE9;"&gt;'),  # as typed
        ("<!-- hidden <b>x</b> -->shown", "shown"),
        ("x <3 y > z", "x &lt;3 y &gt; z"),
    ],
)
def test_attributes_links_and_references(raw: str, expected: str) -> None:
    assert sanitize_html(raw) == expected


@pytest.mark.parametrize(
    "nasty",
    [
        '<b title=a"<script>x">y</b>',  # a quote inside an unquoted value
        '<a href="https://a.example">1<table><td><a href="javascript:x">2</a></td></table></a>',
        "&#x1<!---->0&#x2<!---->x<img>",  # references cut by comments never become control characters
        '<a href="java&#x09;script:alert(1)">t</a><a href="&#106;avascript:alert(1)">u</a>',
        "<math><mi xlink:href=\"javascript:alert(1)\">m</mi></math><svg><a href='https://x.example'>s</a></svg>",
        "<<img src=x onerror=alert(1)>img src=x onerror=alert(1)>",
        '<a href="https://e.example/&quot;onmouseover=&quot;x">q</a> https://e.example/"onclick="x',
    ],
)
def test_tricky_markup_still_leaves_only_the_subset(nasty: str) -> None:
    out = sanitize_html(nasty)
    assert not any(ch in out for ch in "\x00\x01\x02\x0b")
    test_only_allowed_tags_attributes_and_schemes_survive(nasty)


def test_mentions_are_found_outside_code_addresses_and_paths() -> None:
    body = sanitize_html(
        "hi @Alice, @bob_2 and @Alice again; bob@example.com, @example.com, https://x.com/@carol, "
        "<code>@dave</code>, @ab (too short), thanks @eve."
    )
    assert mention_names(body) == ["alice", "bob_2", "eve"]
    linked = link_mentions(body, {"alice": "https://h/api/v1/users/1", "eve": "https://h/api/v1/users/5"})
    assert linked.count('<a href="https://h/api/v1/users/1" rel="nofollow noopener">@Alice</a>') == 2
    assert '<a href="https://h/api/v1/users/5" rel="nofollow noopener">@eve</a>.' in linked
    assert "@bob_2 and" in linked  # no such user: stays text
    # a stored mention sent back in an edit is kept, found again, and not linked twice
    again = sanitize_html(linked)
    assert mention_names(again) == ["alice", "bob_2", "eve"]
    assert link_mentions(again, {"alice": "https://h/api/v1/users/1"}) == again
