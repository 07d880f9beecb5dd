"""The HTTP backend against the retrieval server of the same protocol, started here on
127.0.0.1: the request and reply shapes of Search-R1's server, the same passages as the embedded
engine, and loud failures."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

import uvicorn  # noqa: E402

from rewardkit.errors import RemoteError  # noqa: E402
from rewardkit.tasks.search.engines import embedded_engine  # noqa: E402
from rewardkit.tasks.search.http import RetrievalClient  # noqa: E402
from rewardkit.tasks.search.kb import Document  # noqa: E402
from rewardkit.tasks.search.server import build_app  # noqa: E402

pytestmark = pytest.mark.server

DOCS = [
    Document("d1", "Anna Kessel", "Anna Kessel was born in Vestor."),
    Document("d2", "Vestor", "Vestor lies on the river Amsel."),
    Document("d3", "Amsel", "The Amsel flows into the Glass Sea."),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    port = _free_port()
    app = build_app(embedded_engine(DOCS), default_topk=2)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the retrieval server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/retrieve"
    server.should_exit = True
    thread.join(10)


def test_the_reply_has_search_r1s_shape(url: str) -> None:
    body = {"queries": ["Anna Kessel", "Amsel sea"], "topk": 1, "return_scores": True}
    reply = httpx.post(url, json=body).json()
    assert list(reply) == ["result"] and len(reply["result"]) == 2
    first = reply["result"][0][0]
    assert set(first) == {"document", "score"} and first["score"] > 0
    assert first["document"] == {
        "id": "d1",
        "contents": '"Anna Kessel"\nAnna Kessel was born in Vestor.',
    }
    plain = httpx.post(url, json={"queries": ["Amsel"]}).json()["result"][0]
    assert len(plain) == 2 and set(plain[0]) == {"id", "contents"}  # topk: the server's default
    assert httpx.post(url, json={"queries": "x"}).status_code == 422


def test_the_client_gets_the_embedded_engines_passages(url: str) -> None:
    client = RetrievalClient(url)
    queries = ["Where was Anna Kessel born?", "river Vestor", "the of"]
    remote = client.search(queries, topk=2)
    local = embedded_engine(DOCS).search(queries, topk=2)
    assert [[p.doc_id for p in r] for r in remote] == [[p.doc_id for p in r] for r in local]
    top = remote[0][0]
    assert (top.doc_id, top.title, top.text) == (
        "d1",
        "Anna Kessel",
        "Anna Kessel was born in Vestor.",
    )
    assert top.score == pytest.approx(local[0][0].score)
    assert remote[2] == [] and client.search([], 3) == []
    client.close()


def test_a_server_that_fails_raises(url: str) -> None:
    with pytest.raises(RemoteError, match="answered 404"):
        RetrievalClient(url.replace("/retrieve", "/nothing")).search(["x"], 1)
    with pytest.raises(RemoteError, match="failed 2 times"):
        RetrievalClient(f"http://127.0.0.1:{_free_port()}/retrieve", retries=1).search(["x"], 1)
