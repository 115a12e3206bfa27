"""The replica's misbehaviours: the faults real sites, proxies and CDNs make, on demand.

A test asks for a fault in one of two ways (``Replica.misbehave`` and ``Replica.misbehave_mix``):

- a **rule**: one mode, for one article's URLs or for the whole site, the next N requests or until
  cleared; rules apply in the order given and each request consumes at most one;
- a **mix**: every request (every article request, by default) misbehaves with probability ``rate``, in a
  mode drawn from a list; the draws come from ``random.Random(seed)``, so the same seed and the same
  request order give the same faults, cut points included.

:class:`FaultBook` holds both and decides, request by request, which :class:`Fault` (if any) applies;
:func:`shape` then reshapes a rendered :class:`~xdd_archive.replica.response.Response` for the faults that
cut a body or change its framing. Nothing here touches sockets or the clock, and nothing here is
thread-safe: the replica calls it under its lock.

The modes (``MISBEHAVIOURS``)::

    500, 503, 429      that error page (503 and 429 with Retry-After: 1)
    slow               the answer after Replica.SLOW_SECONDS
    reset              the connection closed with a TCP reset, no response
    truncate           Content-Length of the whole page, ~40 % of its bytes, then the connection closes
    maintenance        the maintenance page with status 200
    wrong-charset      UTF-8 bytes declared windows-1252, no meta charset
    cut-honest         status 200, the HTML cut inside the article body, Content-Length = the cut bytes
    drop-no-length     no Content-Length, not chunked, the connection closed mid-body (close-delimited)
    chunked-cut        Transfer-Encoding: chunked, the connection dropped before the terminating 0-chunk
    stale-edge         alternate requests served the article's previous version (a CDN's stale edge)
    offhost-302        302 Found to another host (127.0.0.2 or a .invalid name) a crawler must not follow
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from xdd_archive.errors import ConfigError
from xdd_archive.replica.response import Response

__all__ = [
    "BODY_MODES",
    "MISBEHAVIOURS",
    "MIX_DEFAULT_MODES",
    "OFFHOST_TARGETS",
    "Fault",
    "FaultBook",
    "Mix",
    "Rule",
    "chunks",
    "offhost_location",
    "shape",
]

MISBEHAVIOURS = (
    "500",
    "503",
    "429",
    "slow",
    "reset",
    "truncate",
    "maintenance",
    "wrong-charset",
    "cut-honest",
    "drop-no-length",
    "chunked-cut",
    "stale-edge",
    "offhost-302",
)
#: a mix without a list of modes draws from these: every mode but ``slow``, which only costs time
MIX_DEFAULT_MODES = tuple(m for m in MISBEHAVIOURS if m != "slow")
#: the modes that cut a body or change its framing (nothing to cut in a HEAD answer or a 304)
BODY_MODES = frozenset({"truncate", "cut-honest", "drop-no-length", "chunked-cut"})
#: where ``offhost-302`` sends clients: a loopback address nothing listens on (on the replica's port),
#: and a name that never resolves (RFC 6761); a rule's requests take turns, a mix draws one
OFFHOST_TARGETS = ("http://127.0.0.2:{port}/bao-tri", "http://bao-tri.xaydungdang.invalid/bao-tri")
# chunk size of chunked-cut: small enough that a cut page still goes out in several chunks
_CHUNK = 2048


@dataclass(frozen=True)
class Fault:
    """One decided misbehaviour: the mode and the draws it needs.

    ``cut`` (0 <= cut < 1) places a cut inside the region it may land in; ``stale`` says whether this
    request reached the stale edge (``stale-edge``); ``target`` picks the ``offhost-302`` location.
    """

    mode: str
    cut: float = 0.5
    stale: bool = True
    target: int = 0


@dataclass
class Rule:
    """``mode`` for ``article_id`` (None: every path but ``/_control/``); ``remaining`` None: until cleared."""

    mode: str
    article_id: int | None
    remaining: int | None
    # stale-edge: requests served so far per article, so that the two edges alternate per article
    served: dict[int | None, int] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: mode, article_id, remaining."""
        return {"mode": self.mode, "article_id": self.article_id, "remaining": self.remaining}


@dataclass
class Mix:
    """A seeded random mix: each eligible request misbehaves with probability ``rate``."""

    rate: float
    modes: tuple[str, ...]
    seed: int
    article_id: int | None = None
    articles_only: bool = True
    asked: int = 0
    fired: int = 0
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def eligible(self, article_id: int | None) -> bool:
        """True when a request for ``article_id`` (None: not an article) takes part in the mix."""
        if self.article_id is not None:
            return article_id == self.article_id
        return article_id is not None or not self.articles_only

    def draw(self) -> Fault | None:
        """The next request's fault, or None; always the same sequence for the same seed."""
        self.asked += 1
        if self.rng.random() >= self.rate:
            return None
        self.fired += 1
        mode = self.modes[self.rng.randrange(len(self.modes))]
        return Fault(mode, cut=self.rng.random(), stale=True, target=self.rng.randrange(len(OFFHOST_TARGETS)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings and counts."""
        return {
            "rate": self.rate,
            "modes": list(self.modes),
            "seed": self.seed,
            "article_id": self.article_id,
            "articles_only": self.articles_only,
            "asked": self.asked,
            "fired": self.fired,
        }


def check_mode(mode: object) -> str:
    """``mode`` if it is a known misbehaviour; ConfigError otherwise."""
    if mode not in MISBEHAVIOURS:
        raise ConfigError(f"unknown misbehaviour {mode!r} (known: {', '.join(MISBEHAVIOURS)})")
    return str(mode)


def check_times(times: object) -> int | None:
    """``times`` if it is None or an integer >= 1; ConfigError otherwise."""
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ConfigError(f"times must be None or an integer >= 1, not {times!r}")
    return times


def _check_mix(rate: object, modes: object, seed: object) -> tuple[float, tuple[str, ...], int]:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ConfigError(f"rate must be a number from 0 to 1, not {rate!r}")
    if modes is None:
        chosen = MIX_DEFAULT_MODES
    elif isinstance(modes, (list, tuple)) and modes:
        chosen = tuple(check_mode(m) for m in modes)
    else:
        raise ConfigError(f"modes must be a non-empty list of misbehaviours, not {modes!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"seed must be an integer, not {seed!r}")
    return float(rate), chosen, seed


class FaultBook:
    """The active rules and mix of one replica, and the choice of a fault for each request."""

    def __init__(self, seed: int) -> None:
        self.rules: list[Rule] = []
        self.mix: Mix | None = None
        # cut points and off-host targets of rules come from their own seeded stream
        self._rng = random.Random(f"replica-faults-{seed}")

    def add(self, mode: str, article_id: int | None, times: int | None) -> Rule:
        """Append a rule (modes and times are checked; the caller checks that the article exists)."""
        rule = Rule(check_mode(mode), article_id, check_times(times))
        self.rules.append(rule)
        return rule

    def set_mix(
        self, rate: float, modes: list[str] | tuple[str, ...] | None, seed: int, article_id: int | None,
        articles_only: bool,
    ) -> Mix:
        """Replace the mix (one at a time); its random stream starts afresh from ``seed``."""
        checked_rate, checked_modes, checked_seed = _check_mix(rate, modes, seed)
        self.mix = Mix(checked_rate, checked_modes, checked_seed, article_id, bool(articles_only))
        return self.mix

    def clear(self) -> None:
        """Forget every rule and the mix."""
        self.rules.clear()
        self.mix = None

    def take(self, article_id: int | None) -> Fault | None:
        """The fault for one request to ``article_id``'s URLs (None: another path), consuming a rule.

        Rules come first, in the order given; the mix is asked only when no rule applies.
        """
        for i, rule in enumerate(self.rules):
            if rule.article_id is None or rule.article_id == article_id:
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        del self.rules[i]
                served = rule.served.get(article_id, 0)
                rule.served[article_id] = served + 1
                # per article, the stale edge answers first, then the fresh one, and so on; the
                # off-host targets take turns the same way
                return Fault(rule.mode, cut=self._rng.random(), stale=served % 2 == 0, target=served)
        if self.mix is not None and self.mix.eligible(article_id):
            return self.mix.draw()
        return None

    def describe(self) -> dict[str, Any]:
        """JSON-ready: the rules (``misbehaviours``) and the mix (``mix``, or None)."""
        return {
            "misbehaviours": [r.to_dict() for r in self.rules],
            "mix": self.mix.to_dict() if self.mix is not None else None,
        }


def offhost_location(fault: Fault, port: int, path: str) -> str:
    """The ``Location`` of an ``offhost-302``: another host, with the asked path as a parameter."""
    base = OFFHOST_TARGETS[fault.target % len(OFFHOST_TARGETS)].format(port=port)
    return f"{base}?url={quote(path, safe='')}"


def _cut_position(resp: Response, fault: Fault) -> int:
    """Where a cut lands: inside the article body when there is one, else anywhere but the ends."""
    start, end = resp.body_span if resp.body_span is not None else (1, len(resp.body))
    return start + int(fault.cut * (end - start))


def shape(resp: Response, fault: Fault | None, *, head: bool, chunked: bool, truncate_fraction: float) -> bool:
    """Apply a body fault (``BODY_MODES``) to ``resp`` in place; True when it took effect.

    A HEAD answer, a 304 or an empty body has nothing to cut: the fault is then not applied. ``chunked``
    says whether the client may be sent chunked encoding (HTTP/1.1); an HTTP/1.0 client gets the
    ``chunked-cut`` bytes close-delimited instead. ``truncate_fraction`` is the share ``truncate`` sends.
    """
    if fault is None or fault.mode not in BODY_MODES:
        return False
    if head or resp.status == 304 or len(resp.body) < 2:
        return False
    full = resp.body
    if fault.mode == "truncate":
        resp.body = full[: int(len(full) * truncate_fraction)]
        resp.framing, resp.declared_length = "overdeclared", len(full)
        return True
    pos = _cut_position(resp, fault)
    if fault.mode == "cut-honest":
        # the CMS stopped writing its (text) output: never inside a UTF-8 sequence
        while pos > 0 and full[pos] & 0xC0 == 0x80:
            pos -= 1
        resp.body = full[:pos]
        return True
    # the network cut it: any byte, even inside a character
    resp.body = full[:pos]
    resp.framing = "chunked-cut" if fault.mode == "chunked-cut" and chunked else "close"
    return True


def chunks(body: bytes) -> bytes:
    """``body`` in chunked transfer coding, *without* the terminating zero-length chunk."""
    out = bytearray()
    for i in range(0, len(body), _CHUNK):
        piece = body[i : i + _CHUNK]
        out += f"{len(piece):x}\r\n".encode("ascii") + piece + b"\r\n"
    return bytes(out)
