"""``UserDirectory``'s summaries read by a caller's own statement are the summaries it reads itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy import BigInteger, event, literal, select, text

from hearth_identity import UserDirectory


def test_summaries_read_by_the_callers_statement_match_summaries(app: FastAPI, make_user: Callable[..., Any]) -> None:
    plain, pictured, suspended = make_user("plain"), make_user("pictured"), make_user("suspended")
    with app.state.database.transaction() as session:
        media_id = session.execute(
            text(
                "INSERT INTO media (owner_id, key, content_type, size_bytes, status) "
                "VALUES (:owner, 'u/avatar-' || :owner, 'image/png', 10, 'ready') RETURNING id"
            ),
            {"owner": pictured.id},
        ).scalar_one()
        session.execute(text("UPDATE users SET avatar_media_id = :m WHERE id = :u"), {"m": media_id, "u": pictured.id})
        session.execute(text("UPDATE users SET status = 'suspended' WHERE id = :u"), {"u": suspended.id})
    ids = [plain.id, pictured.id, suspended.id, 987654321987]
    with app.state.database.transaction() as session:
        fields = {
            uid: session.execute(select(UserDirectory.summary_column(literal(uid, BigInteger)))).scalar_one()
            for uid in ids
        }
        directory = app.state.container.resolve(UserDirectory, session=session)
        seen: list[str] = []
        engine = app.state.database.engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731 - the statements the read runs
        event.listen(engine, "before_cursor_execute", listener)
        try:
            read = directory.summaries_read(fields)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        expected = directory.summaries(ids)
    # a suspended or unknown user is nobody to others: [] read, left out as summaries leaves them out
    assert fields[suspended.id] == [] and fields[987654321987] == []
    assert read == expected and set(read) == {plain.id, pictured.id}
    assert read[pictured.id].avatar_url and read[plain.id].avatar_url is None
    assert len(seen) == 1  # only the avatars' URLs: the users were read by the caller's statement
