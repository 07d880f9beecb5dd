"""The reward server: ``rewardkit serve`` (FastAPI app, worker pool, SQLite state, metrics).

Nothing here is imported by ``import rewardkit``; FastAPI, uvicorn and prometheus_client come
with the ``server`` extra and are imported only when a server is built.
"""
