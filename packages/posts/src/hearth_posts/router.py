"""Thin HTTP handlers for posts, comments, reactions, the feed and the digest."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Response, status

from hearth_platform.ids import PathId, query_id
from hearth_platform.pagination import NewestFirst, NewestFirstPage, Page, Pagination
from hearth_platform.ratelimit import WriteLimit
from hearth_platform.routing import Router, locate
from hearth_platform.security import CurrentUser
from hearth_platform.uow import provide
from hearth_storage import Media

from .schemas import Comment, CommentCreate, Digest, Post, PostCreate, PostUpdate, ReactionKind, Reactor
from .service import FeedService, PostMediaAccess, PostsService, ReactionsService

router = Router(tags=["posts"])
media_router = Router(tags=["media"])

Posts = Annotated[PostsService, Depends(provide(PostsService))]
Feeds = Annotated[FeedService, Depends(provide(FeedService))]
Reactions = Annotated[ReactionsService, Depends(provide(ReactionsService))]
# a GET that may write: an upload found complete is recorded as ready
MediaAccess = Annotated[PostMediaAccess, Depends(provide(PostMediaAccess, writes=True))]


@router.post("/posts", status_code=status.HTTP_201_CREATED, dependencies=[WriteLimit])
def create_post(data: PostCreate, user: CurrentUser, posts: Posts, response: Response) -> Post:
    """Create a post

    Posts to all of the caller's connections (`{"type": "connections"}`) or to the connections in some of
    the caller's tags (`{"type": "tags", "tag_ids": [...]}`), with up to 4 of the caller's uploaded media.
    The body keeps a small safe HTML subset and bare URLs become links. `Location` is the new post's path.
    """
    post = posts.create_post(user.user_id, data)
    locate(response, f"/posts/{post.id}")
    return post


@router.get("/posts/{post_id}")
def get_post(post_id: PathId, user: CurrentUser, posts: Posts) -> Post:
    """Get a post

    One post, if the caller may see it: their own, or a connection's whose audience includes them now.
    Anything else is `404`, exactly as if it did not exist.
    """
    return posts.get_post(user.user_id, post_id)


@router.patch("/posts/{post_id}", dependencies=[WriteLimit])
def update_post(post_id: PathId, data: PostUpdate, user: CurrentUser, posts: Posts) -> Post:
    """Update a post

    The author changes the body or the audience (only the fields present change). A narrower audience
    takes the post away from those left out at once. `403` for a post the caller sees but did not write.
    """
    return posts.update_post(user.user_id, post_id, data)


@router.delete(
    "/posts/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[WriteLimit],
)
def delete_post(post_id: PathId, user: CurrentUser, posts: Posts) -> Response:
    """Delete a post

    The author deletes a post, with its comments and audience. `403` for a post the caller sees but did
    not write.
    """
    posts.delete_post(user.user_id, post_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/{user_id}/posts")
def list_user_posts(user_id: PathId, user: CurrentUser, page: NewestFirst, feeds: Feeds) -> NewestFirstPage[Post]:
    """List a user's posts

    The posts of one user that the caller may see, newest first. Polls like the feed: `newer_than` with
    the page's `newer_cursor` gives what was posted since.
    """
    return feeds.user_posts(user.user_id, user_id, page)


@router.get("/posts/{post_id}/comments")
def list_comments(post_id: PathId, user: CurrentUser, page: Pagination, posts: Posts) -> Page[Comment]:
    """List a post's comments

    The comments on a post the caller may see, oldest first. Comments by a user who blocked the caller, or
    whom the caller blocked, are left out.
    """
    return posts.list_comments(user.user_id, post_id, page)


@router.post("/posts/{post_id}/comments", status_code=status.HTTP_201_CREATED, dependencies=[WriteLimit])
def add_comment(post_id: PathId, data: CommentCreate, user: CurrentUser, posts: Posts, response: Response) -> Comment:
    """Comment on a post

    Adds a comment to a post the caller may see (the same small HTML subset as posts).
    `Location` is the new comment's path.
    """
    comment = posts.add_comment(user.user_id, post_id, data)
    locate(response, f"/comments/{comment.id}")
    return comment


@router.delete(
    "/comments/{comment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[WriteLimit],
)
def delete_comment(comment_id: PathId, user: CurrentUser, posts: Posts) -> Response:
    """Delete a comment

    The comment's author, or the author of the post it is on, deletes it. `403` for a comment the caller
    sees but may not delete.
    """
    posts.delete_comment(user.user_id, comment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/posts/{post_id}/reactions/{kind}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[WriteLimit],
)
def react(post_id: PathId, kind: ReactionKind, user: CurrentUser, reactions: Reactions) -> Response:
    """React to a post

    Adds the caller's reaction of this `kind` (`like`, `love`, `laugh`, `wow` or `sad`) to a post they may
    see. Each kind counts once per user, so the same kind again changes nothing (idempotent). Reactions are
    counted in the post's `reactions`; the post's author is notified once per reactor and post, whatever
    the kinds. `404` for a post the caller may not see, exactly as if it did not exist; `422` for an
    unknown kind. `204`, no body.
    """
    reactions.react(user.user_id, post_id, kind)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/posts/{post_id}/reactions/{kind}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[WriteLimit],
)
def unreact(post_id: PathId, kind: ReactionKind, user: CurrentUser, reactions: Reactions) -> Response:
    """Take a reaction back

    Removes the caller's reaction of this `kind` from a post they may see; one they had not made changes
    nothing (idempotent). When it was their last reaction to the post, the author's `reaction`
    notification goes too. `404` for a post the caller may not see; `422` for an unknown kind. `204`, no
    body.
    """
    reactions.unreact(user.user_id, post_id, kind)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/posts/{post_id}/reactions")
def list_reactions(
    post_id: PathId,
    user: CurrentUser,
    page: Pagination,
    reactions: Reactions,
    kind: Annotated[ReactionKind | None, Query(description="Only reactions of this kind")] = None,
) -> Page[Reactor]:
    """List a post's reactions

    Who reacted to a post the caller may see, with which kind and when, newest first; with `kind`, only
    reactions of that kind. Reactors the caller has blocked, or who blocked the caller, are left out.
    `404` for a post the caller may not see.
    """
    return reactions.reactors(user.user_id, post_id, kind, page)


@router.get("/feed")
def list_feed(
    user: CurrentUser,
    page: NewestFirst,
    feeds: Feeds,
    tag_id: Annotated[int | None, query_id("Only posts by members of this tag")] = None,
) -> NewestFirstPage[Post]:
    """Read the home feed

    The caller's own posts and every post of their connections' that they may see, newest first
    (`created_at`, then `id`). With `tag_id`, only posts by members of that tag of the caller's. Poll with
    `newer_than` and the page's `newer_cursor` for what was posted since, without a gap.
    """
    return feeds.feed(user.user_id, page, tag_id)


@router.get("/digest")
def get_digest(
    user: CurrentUser,
    feeds: Feeds,
    since: Annotated[datetime | None, Query(description="Start of the window (default: 24 h ago; ≤ 7 days)")] = None,
) -> Digest:
    """Read the digest

    What the caller's connections posted since `since` (default: 24 hours ago, at most 7 days back), by
    author, most active first: each with their post count and up to 3 latest posts, at most 50 authors.
    The caller's own posts are left out.
    """
    return feeds.digest(user.user_id, since)


_PROBLEM: dict[str, object] = {"content": {"application/problem+json": {}}}


@media_router.get(
    "/media/{media_id}",
    responses={
        401: {"description": "Missing, invalid, expired or revoked token", **_PROBLEM},
        404: {"description": "Not found, or not visible to the caller", **_PROBLEM},
        422: {"description": "Invalid input", **_PROBLEM},
        429: {"description": "Rate limited", **_PROBLEM},
    },
)
def get_media(media_id: PathId, user: CurrentUser, access: MediaAccess) -> Media:
    """Get a media

    The media, with a time-limited download URL once uploaded; a media found uploaded becomes `ready`.
    Visible to its owner, to whoever may see a post that carries it and, for an avatar, to whoever may see
    its user; `404` for anyone else.
    """
    return access.get_media(user.user_id, media_id)
