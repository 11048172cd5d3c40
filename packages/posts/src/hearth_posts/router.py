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
    post = posts.create_post(user.user_id, data)
    locate(response, f"/posts/{post.id}")
    return post


@router.get("/posts/{post_id}")
def get_post(post_id: PathId, user: CurrentUser, posts: Posts) -> Post:
    return posts.get_post(user.user_id, post_id)


@router.patch("/posts/{post_id}", dependencies=[WriteLimit])
def update_post(post_id: PathId, data: PostUpdate, user: CurrentUser, posts: Posts) -> Post:
    return posts.update_post(user.user_id, post_id, data)


@router.delete(
    "/posts/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[WriteLimit],
)
def delete_post(post_id: PathId, user: CurrentUser, posts: Posts) -> Response:
    posts.delete_post(user.user_id, post_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/{user_id}/posts")
def user_posts(user_id: PathId, user: CurrentUser, page: NewestFirst, feeds: Feeds) -> NewestFirstPage[Post]:
    return feeds.user_posts(user.user_id, user_id, page)


@router.get("/posts/{post_id}/comments")
def list_comments(post_id: PathId, user: CurrentUser, page: Pagination, posts: Posts) -> Page[Comment]:
    return posts.list_comments(user.user_id, post_id, page)


@router.post("/posts/{post_id}/comments", status_code=status.HTTP_201_CREATED, dependencies=[WriteLimit])
def add_comment(post_id: PathId, data: CommentCreate, user: CurrentUser, posts: Posts, response: Response) -> Comment:
    comment = posts.add_comment(user.user_id, post_id, data)
    locate(response, f"/comments/{comment.id}")
    return comment


@router.delete(
    "/comments/{comment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[WriteLimit],
)
def delete_comment(comment_id: PathId, user: CurrentUser, posts: Posts) -> Response:
    posts.delete_comment(user.user_id, comment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/posts/{post_id}/reactions/{kind}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[WriteLimit],
)
def react(post_id: PathId, kind: ReactionKind, user: CurrentUser, reactions: Reactions) -> Response:
    """React to a visible post (idempotent: the same kind again changes nothing)."""
    reactions.react(user.user_id, post_id, kind)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/posts/{post_id}/reactions/{kind}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[WriteLimit],
)
def unreact(post_id: PathId, kind: ReactionKind, user: CurrentUser, reactions: Reactions) -> Response:
    """Take one's reaction back (idempotent)."""
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
    """Who reacted to a visible post, newest first; users blocked either way are left out."""
    return reactions.reactors(user.user_id, post_id, kind, page)


@router.get("/feed")
def feed(
    user: CurrentUser,
    page: NewestFirst,
    feeds: Feeds,
    tag_id: Annotated[int | None, query_id("Only posts by members of this tag")] = None,
) -> NewestFirstPage[Post]:
    return feeds.feed(user.user_id, page, tag_id)


@router.get("/digest")
def digest(
    user: CurrentUser,
    feeds: Feeds,
    since: Annotated[datetime | None, Query(description="Start of the window (default: 24 h ago; ≤ 7 days)")] = None,
) -> Digest:
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
    """The media, with a time-limited download URL once uploaded: for its owner, a viewer of a post that
    carries it, or (an avatar) anyone who can see its user."""
    return access.get_media(user.user_id, media_id)
