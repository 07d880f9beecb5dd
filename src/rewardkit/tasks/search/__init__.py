"""The agentic search task's parts: a generated knowledge base, search backends, the environment.

- ``kb``: ``KnowledgeBase.build(seed)``: entities, documents, questions of 1 to 3 hops with their
  gold answers and gold documents per hop (``text``: the relations, templates and names);
- ``engines``: ``Passage`` and the ``SearchBackend`` interface, ``search(queries, topk)``, with
  the embedded engines (SQLite FTS5 by default; bm25s and tantivy when installed);
- ``http``: ``RetrievalClient``, a backend speaking Search-R1's retrieval-server protocol;
- ``server``: a FastAPI retrieval server of that protocol over an embedded engine;
- ``env``: ``SearchEnv``, the environment with the ``search(query)`` tool.

See ``docs/search.md``.
"""
