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

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from rewardkit.errors import UnjudgeableReference, VerifierFailed
from rewardkit.registry import StatefulReward, reward
from rewardkit.rewards.code_params import CodeParams, backend_for, extract_code
from rewardkit.sandbox.cases import ResultCache, TestResult, TestSuite, parse_reference, run_suites
from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.protocol import RunRequest
from rewardkit.sandbox.time_limits import ReferenceTimeLimit, reference_limits
from rewardkit.types import Sample, Score


@dataclass(frozen=True)
class Evaluation:
    """One sample's program, its tests and their results (empty when there is no program)."""

    code: str | None
    suite: TestSuite
    results: tuple[TestResult, ...]
    time_limit: float | None = None
    """The limit measured from the reference solution (None: the fixed ``time_limit``)."""

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    def info(self) -> dict[str, Any]:
        outcomes = [r.outcome for r in self.results]
        errors = Counter(o for o in outcomes if o != "passed")
        info: dict[str, Any] = {"passed": self.passed, "total": len(self.suite.cases)}
        info["tests"] = outcomes
        info["errors"] = dict(errors)
        skipped = sum(r.skipped for r in self.results)
        if skipped:  # failed at once after an earlier timeout of the same program
            info["skipped_after_timeout"] = skipped
        if self.time_limit is not None:
            info["time_limit"] = self.time_limit
        if self.code is None:
            info["error"] = "no_code"
        return info


_CACHE = ResultCache()

Outcome = Evaluation | BaseException | None
Program = tuple[int, str, TestSuite]
"""A sample's index, its program and its tests."""


def evaluate(samples: Sequence[Sample], p: CodeParams) -> list[Outcome]:
    """Run every sample's program against its tests, all samples in one concurrent batch.

    Per sample: an Evaluation; None when the sample has no reference; ``UnjudgeableReference``
    when its reference is malformed (or, with ``time_limit_from_reference``, its solution fails
    its own tests); the exception when the sandbox failed.
    """
    out: list[Outcome] = [None] * len(samples)
    found = _programs(samples, p, out)
    pending: list[tuple[int, str, TestSuite, Limits, str]] = []
    for (i, code, suite), limits in zip(found, _limits([f[2] for f in found], p), strict=True):
        if isinstance(limits, BaseException):
            out[i] = limits
            continue
        settings = (p.backend, p.url, limits.time_limit_s, p.memory_limit_mb)
        key = _CACHE.key(settings, code, suite)
        cached = _CACHE.get(key)
        if cached is not None:
            out[i] = Evaluation(code, suite, cached, _measured(suite, limits, p))
        else:
            pending.append((i, code, suite, limits, key))
    if pending:
        jobs = [(code, suite) for _, code, suite, _, _ in pending]
        ran = run_suites(backend_for(p), jobs, [limits for _, _, _, limits, _ in pending])
        for (i, code, suite, limits, key), results in zip(pending, ran, strict=True):
            _CACHE.put(key, tuple(results))
            out[i] = _checked(Evaluation(code, suite, tuple(results), _measured(suite, limits, p)))
    return out


def _programs(samples: Sequence[Sample], p: CodeParams, out: list[Outcome]) -> list[Program]:
    """The samples that have a program and tests to run; the others' outcomes go to ``out``."""
    found: list[Program] = []
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
        found.append((i, code, suite))
    return found


def _limits(suites: Sequence[TestSuite], p: CodeParams) -> list[Limits | BaseException]:
    """Each suite's limits: the fixed ones, or with the time limit from its reference solution."""
    fixed = Limits(time_limit_s=p.time_limit, memory_mb=p.memory_limit_mb)
    adaptive = p.time_limit_from_reference
    if adaptive is None:
        return [fixed] * len(suites)
    policy = ReferenceTimeLimit(adaptive.factor, adaptive.min_s, adaptive.max_s)
    return reference_limits(backend_for(p), suites, policy, fixed, (p.backend, p.url))


def _measured(suite: TestSuite, limits: Limits, p: CodeParams) -> float | None:
    """The time limit to report in the info: only when it came from the reference."""
    if p.time_limit_from_reference is None or suite.solution is None:
        return None
    return limits.time_limit_s


def _checked(evaluation: Evaluation) -> Outcome:
    failed = [r for r in evaluation.results if r.error == "sandbox_error"]
    if not failed:
        return evaluation
    return VerifierFailed(
        "sandbox_lost",
        f"the sandbox failed on {len(failed)} of {len(evaluation.results)} tests "
        f"({failed[0].detail}); not the program's fault, so the sample is not scored",
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
            out.append(VerifierFailed("sandbox_lost", f"the sandbox failed ({result.detail})"))
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
