"""``RetrievalClient``: a search backend over HTTP, in the retrieval-server protocol of Search-R1.

Search-R1's retrieval server (and verl's search tool, ``verl/tools/utils/search_r1_like_utils``,
which calls it) speak one protocol::

    POST /retrieve   {"queries": ["q1", "q2"], "topk": 3, "return_scores": true}
    200              {"result": [[{"document": {"id": "7", "contents": "\\"Title\\"\\ntext"},
                                   "score": 12.3}, ...],      # q1's passages, best first
                                 [...]]}                      # q2's

``contents`` is the title on its first line (in double quotes in Search-R1's wiki corpus), then
the text. Without ``return_scores`` each passage is the document itself. A user with a large
corpus behind such a server points the search task at it with ``RetrievalClient(url)``;
``server.py`` serves the same protocol from an embedded engine.

>>> passage_of({"document": {"id": "7", "contents": '"Vestor"\\nVestor lies on the Amsel.'},
...             "score": 2.5})
Passage(doc_id='7', title='Vestor', text='Vestor lies on the Amsel.', score=2.5)
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from rewardkit.errors import RemoteError, require
from rewardkit.tasks.search.engines import Passage

__all__ = ["RetrievalClient", "passage_of", "split_contents"]


def split_contents(contents: str) -> tuple[str, str]:
    """A Search-R1 document's ``contents`` as (title, text): the first line, unquoted, and the
    rest.

    >>> split_contents('"Amsel"\\nA river.')
    ('Amsel', 'A river.')
    """
    title, _, text = contents.partition("\n")
    title = title.strip()
    if len(title) >= 2 and title[0] == title[-1] == '"':
        title = title[1:-1]
    return title, text.strip()


def passage_of(item: Mapping[str, Any]) -> Passage:
    """One entry of a query's result list: ``{"document": {...}, "score"}``, or the document."""
    doc = item.get("document", item)
    if not isinstance(doc, Mapping):
        raise RemoteError(f"retrieval server: a passage is not a JSON object: {item!r}")
    if "contents" in doc:
        title, text = split_contents(str(doc["contents"]))
    else:
        title, text = str(doc.get("title", "")), str(doc.get("text", ""))
    score = item.get("score", 0.0) if "document" in item else 0.0
    return Passage(str(doc.get("id", "")), title, text, float(score))


class RetrievalClient:
    """``search(queries, topk)`` over a retrieval server (module doc).

    ``url`` is the full endpoint (``http://host:8000/retrieve``); connection errors and 5xx are
    retried ``retries`` times with a growing pause, as verl's search tool does; anything else,
    or a reply of the wrong shape, raises ``RemoteError``.
    """

    def __init__(self, url: str, timeout_s: float = 30.0, retries: int = 3):
        self.url, self.timeout_s, self.retries = url, timeout_s, retries
        self._http = require("httpx", "server").Client(timeout=timeout_s)

    def search(self, queries: Sequence[str], topk: int) -> list[list[Passage]]:
        if not queries:
            return []
        payload = {"queries": list(queries), "topk": topk, "return_scores": True}
        data = self._post(payload)
        result = data.get("result") if isinstance(data, Mapping) else None
        if not isinstance(result, list) or len(result) != len(queries):
            raise RemoteError(
                f"retrieval server {self.url}: expected {{'result': [...]}} with one list per "
                f"query ({len(queries)}), got {str(data)[:200]}"
            )
        return [[passage_of(item) for item in per_query][:topk] for per_query in result]

    def _post(self, payload: dict[str, Any]) -> Any:
        httpx = require("httpx", "server")
        for attempt in range(self.retries + 1):
            try:
                resp = self._http.post(self.url, json=payload)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status_code < 500:
                    if resp.status_code >= 400:
                        raise RemoteError(
                            f"retrieval server {self.url} answered {resp.status_code}: "
                            f"{resp.text[:300]}"
                        )
                    return resp.json()
                problem = f"status {resp.status_code}"
            if attempt < self.retries:
                time.sleep(0.2 * (attempt + 1))
        raise RemoteError(f"retrieval server {self.url} failed {self.retries + 1} times: {problem}")

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()
