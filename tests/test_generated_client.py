"""The CI contract check, as the people who consume the schema would run it (issue 13): a Python client
generated from the committed ``openapi.json`` with openapi-python-client, used against a real
``hearth serve`` from register to login, a post, the feed and a comment.

It fails when the schema and the server disagree, or when the schema stops being usable by a generator:

- the generator must read every operation without a warning (``--fail-on-warning``): a response it cannot
  model is one a client cannot use;
- the client raises on any status the schema does not document for the operation
  (``raise_on_unexpected_status``);
- every answer, errors included, is parsed into the schema's models, which refuse a missing required
  field, a wrong type or an undocumented enum value (a status, an error code, a connection status).

It uses the committed file (what consumers download), not the served one; ``test_openapi_snapshot`` keeps
the two the same.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from hearth_testing import PASSWORD, Serve

pytestmark = [pytest.mark.contract, pytest.mark.slow]

CONFIG = Path(__file__).with_name("openapi-python-client.yaml")
PACKAGE = "hearth_client"


@pytest.fixture(scope="module")
def generated(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package, generated from ``openapi.json`` into a temporary directory and imported."""
    out = tmp_path_factory.mktemp("generated-client")
    argv = [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(repo_root / "openapi.json")]
    argv += ["--config", str(CONFIG), "--meta", "none", "--output-path", str(out / PACKAGE), "--fail-on-warning"]
    done = subprocess.run(argv, cwd=out, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"the generator could not read openapi.json:\n{done.stdout}\n{done.stderr}"
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _api(name: str) -> ModuleType:
    """One operation's module of the generated client (``auth.register``, ``posts.list_feed``, ...)."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def _models() -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.models")


def test_a_generated_client_goes_from_register_to_the_feed_and_comments(generated: ModuleType, served: Serve) -> None:
    models = _models()
    anonymous = generated.Client(base_url=served.base, raise_on_unexpected_status=True, timeout=30)

    def register(name: str) -> tuple[object, object]:
        body = models.RegisterRequest(
            username=name, email=f"{name}@example.com", password=PASSWORD, display_name=name.title()
        )
        answer = _api("auth.register").sync_detailed(client=anonymous, body=body)
        assert answer.status_code == 201
        session = answer.parsed
        assert isinstance(session, models.AuthSession), session
        assert answer.headers["location"] == f"/api/v1/users/{session.user.id}"
        return session, generated.AuthenticatedClient(
            base_url=served.base, token=session.access_token, raise_on_unexpected_status=True, timeout=30
        )

    tag = uuid.uuid4().hex[:8]
    sam_name, alex_name = f"sam{tag}", f"alex{tag}"
    sam, _ = register(sam_name)
    assert (sam.user.username, sam.user.display_name, sam.token_type) == (sam_name, sam_name.title(), "bearer")
    assert sam.user.connection_status.value == "self" and sam.expires_in > 0
    alex_session, alex = register(alex_name)

    # the same username again: the contract's 409, parsed into its problem model
    taken = _api("auth.register").sync(
        client=anonymous,
        body=models.RegisterRequest(
            username=sam_name.upper(), email=f"other{tag}@example.com", password=PASSWORD, display_name="Other"
        ),
    )
    assert (taken.status.value, taken.code.value) == (409, "username_taken"), taken

    # Sam logs in (a second token), and connects with Alex
    login = _api("auth.login").sync(client=anonymous, body=models.LoginRequest(username=sam_name, password=PASSWORD))
    assert isinstance(login, models.AuthSession) and login.user.id == sam.user.id
    me = generated.AuthenticatedClient(
        base_url=served.base, token=login.access_token, raise_on_unexpected_status=True, timeout=30
    )
    wrong = _api("auth.login").sync(client=anonymous, body=models.LoginRequest(username=sam_name, password="x" * 12))
    assert (wrong.status.value, wrong.code.value) == (401, "invalid_credentials")

    request = _api("connections.send_connection_request").sync(
        client=me, body=models.UserRef(user_id=alex_session.user.id)
    )
    assert (request.from_user.username, request.to_user.username, request.status.value) == (
        sam_name,
        alex_name,
        "pending",
    )
    accepted = _api("connections.accept_connection_request").sync(client=alex, request_id=request.id)
    assert (accepted.user.username, accepted.user.connection_status.value) == (sam_name, "connected")

    # Sam posts to connections; Alex finds it on top of the feed
    post = _api("posts.create_post").sync(
        client=me,
        body=models.PostCreate(
            body="Hello, <b>Hearth</b> <script>x</script>", audience=models.ConnectionsAudience(type_="connections")
        ),
    )
    assert isinstance(post, models.Post), post
    assert post.body == "Hello, <b>Hearth</b> &lt;script&gt;x&lt;/script&gt;"
    assert (post.author.username, post.audience.type_, post.comment_count, post.media) == (
        sam_name,
        "connections",
        0,
        [],
    )

    feed = _api("posts.list_feed").sync(client=alex, limit=20)
    assert isinstance(feed, models.NewestFirstPagePost), feed
    top = feed.items[0]
    assert (top.id, top.author.username, top.body) == (post.id, sam_name, post.body)
    assert isinstance(feed.newer_cursor, str)

    # Alex comments; Sam reads it under the post, and the post counts it
    comment = _api("posts.add_comment").sync(
        client=alex, post_id=post.id, body=models.CommentCreate(body="Count me in!")
    )
    assert isinstance(comment, models.Comment), comment
    assert (comment.post_id, comment.author.username, comment.body) == (post.id, alex_name, "Count me in!")
    comments = _api("posts.list_comments").sync(client=me, post_id=post.id)
    assert [(c.author.username, c.body) for c in comments.items] == [(alex_name, "Count me in!")]
    assert comments.next_cursor is None
    again = _api("posts.get_post").sync(client=me, post_id=post.id)
    assert again.comment_count == 1

    # a stranger sees none of it: the documented 404, and an empty feed
    _, stranger = register(f"eve{tag}")
    hidden = _api("posts.get_post").sync(client=stranger, post_id=post.id)
    assert (hidden.status.value, hidden.code.value) == (404, "not_found")
    assert _api("posts.list_feed").sync(client=stranger).items == []

    # and without a token: the documented 401
    unauthorized = _api("posts.list_feed").sync(client=anonymous)
    assert (unauthorized.status.value, unauthorized.code.value) == (401, "unauthorized")
