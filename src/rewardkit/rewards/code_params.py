"""Parameters of the code rewards, and how they find the program and the sandbox.

``CodeParams`` (backend, limits, ``time_limit_from_reference``, the shared ``extract`` option),
``extract_code`` (the program in a completion) and ``backend_for`` (the local pool or a Sandbox
Fusion client); the components themselves are in ``rewardkit.rewards.code``.

>>> CodeParams(time_limit_from_reference={"factor": 3}).time_limit_from_reference.max_s
10.0
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from rewardkit.registry import Params
from rewardkit.rewards.extract import ExtractParams, extract_answer
from rewardkit.sandbox.protocol import Backend

_FENCE = re.compile(r"```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_PYTHON_TAGS = {"python", "py", "python3", "py3"}


class TimeLimitFromReference(Params):
    """Per problem: time limit = factor x the reference solution's slowest test, in [min_s, max_s]
    (see ``rewardkit.sandbox.time_limits``; problems without a ``solution`` keep ``time_limit``).
    """

    factor: float = Field(5.0, gt=0, le=100, description="multiple of the reference's time")
    min_s: float = Field(0.5, gt=0, le=60, description="floor of the limit, seconds")
    max_s: float = Field(10.0, gt=0, le=60, description="cap of the limit, seconds")

    @model_validator(mode="after")
    def _check_range(self) -> TimeLimitFromReference:
        if self.min_s > self.max_s:
            raise ValueError(f"min_s ({self.min_s}) must not exceed max_s ({self.max_s})")
        return self


class CodeParams(ExtractParams):
    """Where and how to run code: backend, limits, and the shared ``extract`` option."""

    backend: Literal["local", "fusion"] = "local"
    url: str | None = None
    time_limit: float = Field(2.0, gt=0, le=60, description="seconds per test (wall clock)")
    time_limit_from_reference: TimeLimitFromReference | None = Field(
        None, description="adaptive time limits from the reference's 'solution' (None: fixed)"
    )
    memory_limit_mb: int = Field(512, ge=64, le=65536, description="address space per process")

    @model_validator(mode="after")
    def _check_backend(self) -> CodeParams:
        if self.backend == "fusion" and not self.url:
            raise ValueError("backend: fusion needs 'url' (e.g. http://host:8080/run_code)")
        if self.backend == "local" and self.url:
            raise ValueError("'url' is only used with backend: fusion")
        return self


def extract_code(text: str, p: ExtractParams) -> str | None:
    """The program in ``text``: the last fenced block (Python preferred), else the whole part.

    >>> extract_code("```js\\nx\\n``` then ```py\\nprint(2)\\n``` and ```\\nout\\n```", CodeParams())
    'print(2)'
    """
    part = extract_answer(text, p)
    if part is None:
        return None
    blocks = [(tag.lower(), body) for tag, body in _FENCE.findall(part)]
    if blocks:
        python = [body for tag, body in blocks if tag in _PYTHON_TAGS]
        part = (python or [body for _, body in blocks])[-1]
    code = part.strip("\n")
    return code if code.strip() else None


def backend_for(p: CodeParams) -> Backend:
    """The process-wide local pool, or the remote Sandbox Fusion client for ``p.url``."""
    if p.backend == "fusion":
        from rewardkit.sandbox.fusion import fusion_backend

        assert p.url is not None
        return fusion_backend(p.url)
    from rewardkit.sandbox.pool import default_pool

    return default_pool()
