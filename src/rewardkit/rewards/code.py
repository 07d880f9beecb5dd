"""Code rewards: run the completion's program against the reference's tests in a sandbox.

Components: ``unit_tests`` (fraction of tests passed), ``unit_tests_all`` (1 only when all pass),
``syntax_ok`` (the program compiles) and ``weighted_tests`` (VeRPO: tests weighted by their
running difficulty, see ``WeightedTests``).

The program is the completion's ``extract`` part (default: all of it) reduced to its last fenced
code block (a ``python``/``py`` block is preferred; an unclosed final fence counts), or the whole
part when there is no fence. The reference format is documented in
``rewardkit.sandbox.cases`` (stdin/stdout ``tests``, or ``asserts`` with optional ``setup`` and
``entry``). A missing reference means "does not apply" (None: a property of the prompt, the
same for every completion, e.g. a prompt of a mixed dataset that has no tests); a malformed one
is ``UnjudgeableReference`` (a data problem the program counts and handles by its policy).

Per-test outcomes go to ``Score.info["tests"]`` ("passed", "wrong_answer", "runtime_error",
"timeout", "memory", "output_limit", "syntax_error"), with counts in ``info["errors"]``. A sandbox
failure (a worker that died) is never scored: the sample's result is an exception.

>>> extract_code("Here:\\n```python\\nprint(1)\\n```\\nDone.", CodeParams())
'print(1)'
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, model_validator

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import StatefulReward, reward
from rewardkit.rewards.extract import ExtractParams, extract_answer
from rewardkit.sandbox.cases import ResultCache, TestResult, TestSuite, parse_reference, run_suites
from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.protocol import Backend, RunRequest
from rewardkit.types import Sample, Score

_FENCE = re.compile(r"```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_PYTHON_TAGS = {"python", "py", "python3", "py3"}


class CodeParams(ExtractParams):
    """Where and how to run code: backend, limits, and the shared ``extract`` option."""

    backend: Literal["local", "fusion"] = "local"
    url: str | None = None
    time_limit: float = Field(2.0, gt=0, le=60, description="seconds per test (wall clock)")
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


@dataclass(frozen=True)
class Evaluation:
    """One sample's program, its tests and their results (empty when there is no program)."""

    code: str | None
    suite: TestSuite
    results: tuple[TestResult, ...]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    def info(self) -> dict[str, Any]:
        outcomes = [r.outcome for r in self.results]
        errors = Counter(o for o in outcomes if o != "passed")
        info: dict[str, Any] = {"passed": self.passed, "total": len(self.suite.cases)}
        info["tests"] = outcomes
        info["errors"] = dict(errors)
        if self.code is None:
            info["error"] = "no_code"
        return info


_CACHE = ResultCache()

Outcome = Evaluation | BaseException | None


def evaluate(samples: Sequence[Sample], p: CodeParams) -> list[Outcome]:
    """Run every sample's program against its tests, all samples in one concurrent batch.

    Per sample: an Evaluation; None when the sample has no reference; ``UnjudgeableReference``
    when its reference is malformed; the exception when the sandbox failed.
    """
    out: list[Outcome] = [None] * len(samples)
    pending: list[tuple[int, str, TestSuite, str]] = []
    for i, sample in enumerate(samples):
        if sample.reference is None:
            continue
        try:
            suite = parse_reference(sample.reference)
        except ValueError as exc:
            out[i] = UnjudgeableReference(
                f"code reference of sample {sample.id!r}: {exc} (see rewardkit.sandbox.cases)"
            )
            continue
        code = extract_code(sample.model_text, p)
        if code is None:
            out[i] = Evaluation(
                None,
                suite,
                tuple(TestResult(False, "syntax_error", "no code") for _ in suite.cases),
            )
            continue
        key = _CACHE.key((p.backend, p.url, p.time_limit, p.memory_limit_mb), code, suite)
        cached = _CACHE.get(key)
        if cached is not None:
            out[i] = Evaluation(code, suite, cached)
        else:
            pending.append((i, code, suite, key))
    if pending:
        limits = Limits(time_limit_s=p.time_limit, memory_mb=p.memory_limit_mb)
        ran = run_suites(backend_for(p), [(code, suite) for _, code, suite, _ in pending], limits)
        for (i, code, suite, key), results in zip(pending, ran, strict=True):
            _CACHE.put(key, tuple(results))
            out[i] = _checked(Evaluation(code, suite, tuple(results)))
    return out


def _checked(evaluation: Evaluation) -> Outcome:
    failed = [r for r in evaluation.results if r.error == "sandbox_error"]
    if not failed:
        return evaluation
    return RuntimeError(
        f"the sandbox failed on {len(failed)} of {len(evaluation.results)} tests "
        f"({failed[0].detail}); not the program's fault, so the sample is not scored"
    )


def _scores(samples: Sequence[Sample], p: CodeParams, all_or_nothing: bool) -> list[Any]:
    out: list[Any] = []
    for item in evaluate(samples, p):
        if not isinstance(item, Evaluation):
            out.append(item)
            continue
        total = len(item.suite.cases)
        value = float(item.passed == total) if all_or_nothing else item.passed / total
        out.append(Score(value, info=item.info()))
    return out


@reward("unit_tests", params=CodeParams, batched=True)
def unit_tests(samples: Sequence[Sample], p: CodeParams) -> list[Any]:
    """Fraction of the reference's unit tests that the completion's program passes (sandboxed)."""
    return _scores(samples, p, all_or_nothing=False)


@reward("unit_tests_all", params=CodeParams, batched=True)
def unit_tests_all(samples: Sequence[Sample], p: CodeParams) -> list[Any]:
    """1 when the completion's program passes every unit test of the reference, else 0."""
    return _scores(samples, p, all_or_nothing=True)


@reward("syntax_ok", params=CodeParams, batched=True)
def syntax_ok(samples: Sequence[Sample], p: CodeParams) -> list[Any]:
    """1 when the completion's program compiles (checked in the sandbox), 0 when it does not or is absent."""
    limits = Limits(time_limit_s=p.time_limit, memory_mb=p.memory_limit_mb)
    codes = [extract_code(s.model_text, p) for s in samples]
    requests = [RunRequest(code=c, mode="compile", limits=limits) for c in codes if c is not None]
    results = iter(backend_for(p).run_many(requests) if requests else [])
    out: list[Any] = []
    for code in codes:
        if code is None:
            out.append(Score(0.0, info={"error": "no_code"}))
            continue
        result = next(results)
        if result.status == "sandbox_error":
            out.append(RuntimeError(f"the sandbox failed ({result.detail}); not scored"))
        elif result.status == "ok":
            out.append(Score(1.0))
        else:
            out.append(Score(0.0, info={"error": result.status, "detail": result.detail[:300]}))
    return out


class WeightedTestsParams(CodeParams):
    """``weighted_tests`` options: the share of the dense part, and the pass-rate prior."""

    partial_weight: float = Field(0.5, ge=0, le=1, description="lambda: weight of the dense part")
    prior: float = Field(1.0, gt=0, description="pseudo-passes and pseudo-fails per test")


@reward("weighted_tests", params=WeightedTestsParams)
class WeightedTests(StatefulReward):
    """VeRPO partial credit: tests weighted by running difficulty, combined with the all-pass outcome.

    For a problem (its reference ``id``/``problem_id``, else ``sample.meta["problem_id"]``, else
    a hash of its tests) and test j, with n_j rollouts seen and s_j of them passing, and prior
    a: pass rate p_j = (s_j + a) / (n_j + 2a), weight w_j = 1 - p_j (hard tests weigh more);
    dense = sum of w_j over passed tests / sum of all w_j; reward = (1 - lambda) * [all passed]
    + lambda * dense. A solution passing every test gets 1; a problem never seen weighs its
    tests equally, so dense is the fraction passed. A batch is scored with the weights from
    before it; its outcomes then update the counts. A problem whose test count changes starts
    over. Sandbox failures neither score nor count.

    >>> WeightedTests.weights([2, 2], [2, 0], prior=1.0)
    [0.25, 0.75]
    """

    def __init__(self) -> None:
        self.attempts: dict[str, list[int]] = {}
        self.passes: dict[str, list[int]] = {}

    @staticmethod
    def weights(attempts: Sequence[int], passes: Sequence[int], prior: float) -> list[float]:
        """Difficulty weights 1 - (s + a) / (n + 2a), one per test."""
        return [1.0 - (s + prior) / (n + 2 * prior) for n, s in zip(attempts, passes, strict=True)]

    def score_batch(self, samples: Sequence[Sample], params: Any) -> list[Any]:
        p: WeightedTestsParams = params
        out: list[Any] = []
        seen: list[tuple[str, tuple[TestResult, ...]]] = []
        for sample, item in zip(samples, evaluate(samples, p), strict=True):
            if not isinstance(item, Evaluation):
                out.append(item)
                continue
            key = _problem_key(sample, item.suite)
            count = len(item.suite.cases)
            if len(self.attempts.get(key, ())) != count:
                self.attempts[key], self.passes[key] = [0] * count, [0] * count
            w = self.weights(self.attempts[key], self.passes[key], p.prior)
            dense = sum(wj for wj, r in zip(w, item.results, strict=True) if r.passed) / sum(w)
            all_passed = item.passed == count
            value = (1 - p.partial_weight) * all_passed + p.partial_weight * dense
            info = {**item.info(), "weights": [round(x, 4) for x in w], "dense": round(dense, 6)}
            out.append(Score(value, info=info))
            seen.append((key, item.results))
        for key, results in seen:  # after scoring: this batch's weights came from before it
            for j, result in enumerate(results):
                self.attempts[key][j] += 1
                self.passes[key][j] += int(result.passed)
        return out

    def state_dict(self) -> dict[str, Any]:
        return {
            "problems": {
                k: {"attempts": list(self.attempts[k]), "passes": list(self.passes[k])}
                for k in self.attempts
            }
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        problems = state.get("problems", {})
        attempts, passes = {}, {}
        for key, counts in problems.items():
            n, s = list(map(int, counts["attempts"])), list(map(int, counts["passes"]))
            if len(n) != len(s) or any(b > a or b < 0 for a, b in zip(n, s, strict=True)):
                raise ValueError(
                    f"weighted_tests state for problem {key!r} is inconsistent: {counts}"
                )
            attempts[key], passes[key] = n, s
        self.attempts, self.passes = attempts, passes


def _problem_key(sample: Sample, suite: TestSuite) -> str:
    if not suite.problem_id.startswith("sha1:"):
        return suite.problem_id
    return str(sample.meta.get("problem_id", suite.problem_id))
