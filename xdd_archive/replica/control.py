"""The replica's HTTP control API: the Python API of ``Replica`` as JSON under ``/_control/``.

For a replica run in another process (``xdd-archive replica serve``). JSON in and out; never logged,
never misbehaves; robots.txt disallows it::

    GET  /_control/status                      base URL, theme, counts, misbehaviour rules and mix
    GET  /_control/articles                    every article (without bodies)
    POST /_control/articles                    add one: {"title": ..., "category": ...} -> 201 + article;
                                               {"hostile": true, ...}: the hostile article
    GET  /_control/articles/<id>               one article, body included
    POST /_control/articles/<id>/edit          {"title", "lead", "body", "author", "source", "tags",
                                                "replace": {old: new}, "unicode_form": "NFD"}
    POST /_control/articles/<id>/touch         new version and validators, same content
    POST /_control/articles/<id>/delete        {"status": 404 | 410}
    POST /_control/articles/<id>/restore
    POST /_control/articles/<id>/redirect      {"to": "/"}
    POST /_control/articles/<id>/move          -> {"path": ..., "url": ...}
    POST /_control/misbehave                   {"mode": "503", "article_id": null, "times": 1 | null}
    POST /_control/misbehave-mix               {"rate": 0.3, "modes": [...] | null, "seed": 7 | null,
                                                "article_id": null, "articles_only": true}
    POST /_control/clear-misbehaviour          rules and mix
    POST /_control/theme                       {"name": "redesign"}: the markup changes, URLs stay
    GET  /_control/requests                    the request log
    POST /_control/requests/clear

Bad JSON or a bad value answers 400, an unknown id or path 404, a wrong method 405, each with
``{"error": "..."}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from xdd_archive.errors import ConfigError
from xdd_archive.replica.content import Article
from xdd_archive.replica.state import EDIT_FIELDS, UnknownArticle

if TYPE_CHECKING:
    from xdd_archive.replica.server import Replica

__all__ = ["ControlAPI"]

Answer = tuple[int, Any]
_MIX_FIELDS = frozenset({"rate", "modes", "seed", "article_id", "articles_only"})


def _only(data: dict[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ConfigError(f"unknown {what} fields: {', '.join(sorted(unknown))}")


class ControlAPI:
    """Dispatches control requests to a :class:`~xdd_archive.replica.server.Replica`."""

    def __init__(self, replica: Replica) -> None:
        self.replica = replica
        # (method, path) -> handler of the request's JSON object
        self._fixed: dict[tuple[str, str], Callable[[dict[str, Any]], Answer]] = {
            ("GET", ""): self._status,
            ("GET", "status"): self._status,
            ("GET", "articles"): self._list,
            ("POST", "articles"): self._add,
            ("POST", "misbehave"): self._misbehave,
            ("POST", "misbehave-mix"): self._mix,
            ("POST", "clear-misbehaviour"): self._clear,
            ("POST", "clear-misbehavior"): self._clear,
            ("POST", "theme"): self._theme,
            ("GET", "requests"): lambda data: (200, [r.to_dict() for r in replica.requests]),
            ("POST", "requests/clear"): self._clear_requests,
        }
        self._actions: dict[str, Callable[[int, dict[str, Any]], Answer]] = {
            "edit": self._edit,
            "touch": lambda i, data: (200, self._json(replica.touch(i))),
            "delete": lambda i, data: (200, self._json(replica.delete(i, status=int(data.get("status", 404))))),
            "restore": lambda i, data: (200, self._json(replica.restore(i))),
            "redirect": self._redirect,
            "move": self._move,
        }

    def handle(self, method: str, path: str, raw: bytes) -> Answer:
        """(status, JSON-ready payload) for one control request."""
        parts = [p for p in path.split("/") if p][1:]
        try:
            data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (UnicodeDecodeError, ValueError) as exc:
            return 400, {"error": f"bad JSON: {exc}"}
        if not isinstance(data, dict):
            return 400, {"error": "the request body must be a JSON object"}
        try:
            return self._route(method, parts, data)
        except UnknownArticle as exc:
            return 404, {"error": str(exc)}
        except ConfigError as exc:
            return 400, {"error": str(exc)}
        except (TypeError, ValueError) as exc:
            return 400, {"error": f"bad request: {exc}"}

    def _route(self, method: str, parts: list[str], data: dict[str, Any]) -> Answer:
        key = "/".join(parts)
        handler = self._fixed.get((method, key))
        if handler is not None:
            return handler(data)
        if any(k == key for _, k in self._fixed):
            allowed = " or ".join(m for m, k in self._fixed if k == key)
            return 405, {"error": f"use {allowed} for /_control/{key}"}
        if len(parts) in (2, 3) and parts[0] == "articles":
            return self._article(method, parts, data)
        return 404, {"error": f"unknown control path /_control/{key}"}

    def _article(self, method: str, parts: list[str], data: dict[str, Any]) -> Answer:
        try:
            art_id = int(parts[1])
        except ValueError:
            raise UnknownArticle(f"the replica has no article with id {parts[1]!r}") from None
        art = self.replica.article(art_id)
        expected = "GET" if len(parts) == 2 else "POST"
        if method != expected:
            return 405, {"error": f"use {expected} for /_control/{'/'.join(parts)}"}
        if len(parts) == 2:
            return 200, self._json(art)
        action = self._actions.get(parts[2])
        if action is None:
            return 404, {"error": f"unknown article action {parts[2]!r}"}
        return action(art_id, data)

    # -- handlers -------------------------------------------------------------------------------------

    def _status(self, data: dict[str, Any]) -> Answer:
        return 200, self.replica.status()

    def _list(self, data: dict[str, Any]) -> Answer:
        with self.replica.lock:
            return 200, [self._json(a, full=False) for a in self.replica.articles.values()]

    def _add(self, data: dict[str, Any]) -> Answer:
        fields = dict(data)
        if fields.pop("hostile", False):
            return 201, self._json(self.replica.add_hostile_article(**fields))
        return 201, self._json(self.replica.add_article(**fields))

    def _edit(self, art_id: int, data: dict[str, Any]) -> Answer:
        _only(data, EDIT_FIELDS, "edit")
        return 200, self._json(self.replica.edit(art_id, **data))

    def _redirect(self, art_id: int, data: dict[str, Any]) -> Answer:
        if "to" not in data:
            raise ConfigError("redirect needs 'to'")
        return 200, self._json(self.replica.redirect(art_id, to=data["to"]))

    def _move(self, art_id: int, data: dict[str, Any]) -> Answer:
        path = self.replica.move(art_id)
        return 200, {"path": path, "url": self.replica.base_url + path}

    def _misbehave(self, data: dict[str, Any]) -> Answer:
        if "mode" not in data:
            raise ConfigError("misbehave needs 'mode'")
        self.replica.misbehave(str(data["mode"]), article_id=data.get("article_id"), times=data.get("times", 1))
        return 200, {"ok": True}

    def _mix(self, data: dict[str, Any]) -> Answer:
        _only(data, _MIX_FIELDS, "misbehave-mix")
        if "rate" not in data:
            raise ConfigError("misbehave-mix needs 'rate'")
        self.replica.misbehave_mix(
            data["rate"], data.get("modes"), data.get("seed"), article_id=data.get("article_id"),
            articles_only=data.get("articles_only", True),
        )
        status = self.replica.status()
        return 200, {"ok": True, "misbehaviours": status["misbehaviours"], "mix": status["mix"]}

    def _clear(self, data: dict[str, Any]) -> Answer:
        self.replica.clear_misbehaviour()
        return 200, {"ok": True}

    def _theme(self, data: dict[str, Any]) -> Answer:
        _only(data, frozenset({"name"}), "theme")
        if "name" not in data:
            raise ConfigError("theme needs 'name'")
        self.replica.set_theme(str(data["name"]))
        return 200, self.replica.status()

    def _clear_requests(self, data: dict[str, Any]) -> Answer:
        self.replica.clear_requests()
        return 200, {"ok": True}

    def _json(self, art: Article, *, full: bool = True) -> dict[str, Any]:
        with self.replica.lock:
            d = art.to_dict(full=full)
            path = self.replica.article_path(art.id)
        d["path"], d["url"] = path, self.replica.base_url + path
        return d
