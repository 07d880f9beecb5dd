"""A retrieval server of Search-R1's protocol (``http.py``) over an embedded engine.

``build_app(backend)`` is a FastAPI app with ``POST /retrieve``; ``main`` serves the generated
knowledge base of a seed, so tests and users without a big corpus run the HTTP path::

    python -m rewardkit.tasks.search.server --seed 0 --engine fts5 --port 8000

A document is returned as Search-R1's corpus writes it: ``{"id", "contents"}`` with the title
in double quotes on the first line. Needs the ``server`` extra (fastapi, uvicorn).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from rewardkit.errors import require
from rewardkit.tasks.search.engines import Passage, SearchBackend, embedded_engine
from rewardkit.tasks.search.kb import KnowledgeBase

__all__ = ["RetrieveRequest", "build_app", "main"]

MAX_TOPK = 100


class RetrieveRequest(BaseModel):
    """The body of ``POST /retrieve`` (Search-R1's ``QueryRequest``)."""

    queries: list[str]
    topk: int | None = Field(None, ge=1, le=MAX_TOPK)
    return_scores: bool = False


def document_of(p: Passage) -> dict[str, str]:
    """A passage as a Search-R1 corpus document.

    >>> document_of(Passage("d1", "Vestor", "Vestor lies on the Amsel.", 1.0))
    {'id': 'd1', 'contents': '"Vestor"\\nVestor lies on the Amsel.'}
    """
    return {"id": p.doc_id, "contents": f'"{p.title}"\n{p.text}'}


def build_app(backend: SearchBackend, default_topk: int = 3) -> Any:
    """The FastAPI app serving ``backend`` at ``POST /retrieve``."""
    fastapi = require("fastapi", "server")
    app = fastapi.FastAPI(title="rewardkit retrieval server")

    @app.post("/retrieve")
    def retrieve(request: RetrieveRequest) -> dict[str, Any]:
        found = backend.search(request.queries, request.topk or default_topk)
        if request.return_scores:
            return {
                "result": [
                    [{"document": document_of(p), "score": p.score} for p in per] for per in found
                ]
            }
        return {"result": [[document_of(p) for p in per] for per in found]}

    return app


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the knowledge base of ``--seed`` with ``--engine`` on ``--host``:``--port``."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--engine", choices=("fts5", "bm25s", "tantivy"), default="fts5")
    p.add_argument("--topk", type=int, default=3, help="when a request gives none")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    args = p.parse_args(argv)
    kb = KnowledgeBase.build(args.seed)
    app = build_app(embedded_engine(kb.documents, args.engine), args.topk)
    require("uvicorn", "server").run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
