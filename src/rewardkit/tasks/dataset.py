"""Your own data as a task of the built-in trainer: ``task: jsonl``, one problem per JSON line.

``task_options``: ``path`` (a JSONL file: one JSON object per line, blank lines skipped), the
``prompt`` field (default ``prompt``, else ``question``), the ``reference`` field (default
``reference``, else ``answer``), ``reference_format: gsm8k`` to read GSM8K answers (the text
after the last ``####``), ``prompt_template`` (``{prompt}`` is replaced by the line's prompt,
e.g. to add the answer format you reward), and the held-out split: ``eval_path`` (a second
file), or else ``eval_fraction`` of the lines (default 0.1) chosen by ``seed`` (default 0; the
same split for every run seed, so runs never train on what they are evaluated on).

Any reward program scores the samples: its components read ``sample.reference`` (a number or
text for math, an object with ``asserts`` or ``tests`` for the sandboxed ``code`` rewards). The
held-out evaluation uses ``judge`` (a reward tree, one component; default: ``numeric`` on the
``<answer>`` tag for GSM8K-style and plain references, ``unit_tests_all`` for unit tests), and a
problem is solved when the judge gives at least ``success_at`` (default 1).

Training problem ``i`` of a run seed is the line at place ``i mod n`` of that seed's shuffle of
epoch ``i // n`` (every line once per epoch); held-out problem ``i`` is held-out line
``i mod n_eval`` (set ``eval_size`` to the held-out count to see each once).

The tiny model (no ``model``) is warm-started by imitating a correct completion of each problem;
external data has none unless ``completion`` names a field that holds one (a trace in the
program's format). Without it the warm start stops with what to do. A tiny model trained from
scratch cannot learn a real dataset: this task is for real models (``model: smollm2`` or a
local folder) on a GPU; a CPU run of the tiny model only shows the plumbing.

>>> import json, tempfile
>>> data = tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False)
>>> for k in range(10):
...     _ = data.write(json.dumps({"question": f"{k} + 1?", "answer": f"so\\n#### {k + 1}"}) + "\\n")
>>> data.close()
>>> task = JsonlTask({"path": data.name, "reference_format": "gsm8k"})
>>> len(task.train), len(task.held_out)
(9, 1)
>>> from rewardkit.tasks.base import problem
>>> p = problem(task, 0, "train", 3)
>>> p.reference == str(int(p.prompt.split()[0]) + 1)
True
>>> task.judge("4", "<answer>4</answer>")["success"], task.judge("4", "5")["success"]
(1.0, 0.0)
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rewardkit.errors import ConfigError, InputError, config_error
from rewardkit.tasks.base import Problem

NAME = "jsonl"
_STREAM = {0: "train", 1: "eval", 2: "warm"}  # base.problem_rng's split streams
_GSM8K = "####"
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
_CODE_KEYS = ("asserts", "tests", "inputs")


class JsonlOptions(BaseModel):
    """The ``task_options`` of ``task: jsonl`` (module doc)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(description="the JSONL file of problems (relative: to the current folder)")
    prompt: str | None = Field(None, description="prompt field (None: 'prompt', else 'question')")
    reference: str | None = Field(
        None, description="reference field (None: 'reference', else 'answer')"
    )
    reference_format: Literal["raw", "gsm8k"] = Field(
        "raw", description="gsm8k: the reference is the text after the last '####'"
    )
    prompt_template: str = Field(
        "{prompt}", description="the prompt shown, with {prompt} replaced by the line's prompt"
    )
    completion: str | None = Field(
        None, description="field of one correct completion (the tiny model's warm start)"
    )
    eval_path: str | None = Field(None, description="held-out JSONL file (None: eval_fraction)")
    eval_fraction: float = Field(
        0.1, ge=0, lt=1, description="share of the lines held out when there is no eval_path"
    )
    seed: int = Field(0, description="seed of the held-out choice (the same for every run seed)")
    judge: dict[str, Any] | None = Field(
        None, description="reward tree of the held-out evaluation (None: from the references)"
    )
    success_at: float = Field(1.0, description="judge score at which a problem counts as solved")


@dataclass(frozen=True)
class Row:
    """One problem read from a file: its line number, prompt, reference and optional completion."""

    line: int
    prompt: str
    reference: Any
    completion: str | None
    id: str


class JsonlTask:
    """Problems from a JSONL file (module doc). ``options``: ``JsonlOptions``'s fields."""

    categories: tuple[str, ...] = ("default",)

    def __init__(self, options: Mapping[str, Any] | None = None):
        try:
            self.options = JsonlOptions.model_validate(dict(options or {}))
        except ValidationError as exc:
            raise config_error(exc, JsonlOptions, "task_options") from None
        o = self.options
        if "{prompt}" not in o.prompt_template:
            raise ConfigError([("task_options.prompt_template", "must contain {prompt}")])
        rows, self._digest = read_rows(o.path, o, "path")
        if o.eval_path is not None:
            self.train, (self.held_out, eval_digest) = rows, read_rows(o.eval_path, o, "eval_path")
            self._digest += eval_digest
        else:
            self.train, self.held_out = split_rows(rows, o.eval_fraction, o.seed)
        if not self.train:
            raise ConfigError(
                [("task_options.eval_fraction", f"{o.path}: no line is left to train on")]
            )
        self.judge_tree = o.judge if o.judge is not None else default_judge(rows, o)
        self._judge: Any = None
        self._judge_program()  # a bad judge is a config error now, not at the first evaluation

    @property
    def name(self) -> str:
        return NAME

    def __repr__(self) -> str:  # the warm-start cache key: the options and the data's digest
        return f"JsonlTask({self.options.model_dump_json()}, {self._digest})"

    def make(self, rng: np.random.Generator, category: str | None) -> Problem:
        """The problem ``rng`` stands for (module doc: place in the split's order)."""
        seed, split, index = _position(rng)
        if split == "eval":
            if not self.held_out:
                raise ConfigError(
                    [
                        (
                            "task_options",
                            f"{self.options.path}: no held-out problems (eval_fraction is 0 "
                            "and there is no eval_path): set eval_fraction or eval_path, or "
                            "eval_every: 0 to train without evaluation",
                        )
                    ]
                )
            row = self.held_out[index % len(self.held_out)]
        else:
            n = len(self.train)
            if index < 0:  # an rng of no problem position: a draw from it
                row = self.train[int(rng.integers(n))]
            else:
                order = np.random.default_rng([seed, 11, index // n]).permutation(n)
                row = self.train[int(order[index % n])]
            if split == "warm" and row.completion is None:
                raise ConfigError([("warm_start", self._no_warm_start())])
        return Problem(
            id="",
            prompt=self.options.prompt_template.replace("{prompt}", row.prompt),
            reference=row.reference,
            answer=row.completion or "",
            difficulty={"line": row.line, "problem_id": row.id},
        )

    def _no_warm_start(self) -> str:
        return (
            f"task jsonl: the tiny model (no `model` given) is warm-started by imitating a "
            f"correct completion of each problem, and {self.options.path} names none. A tiny "
            "model trained from scratch cannot learn a real dataset: train a real model "
            "(model: smollm2, or a local model folder; on a GPU), or give each line a correct "
            "completion in the format your program rewards and name its field "
            "(task_options.completion: <field>), or set warm_start.steps: 0 to run RL from "
            "random weights (it learns nothing; it only shows the plumbing)"
        )

    def _judge_program(self) -> Any:
        if self._judge is None:
            from rewardkit.program import RewardProgram

            try:
                self._judge = RewardProgram.from_dict(
                    {"reward": self.judge_tree, "on_error": "score", "on_unjudgeable": "wrong"}
                )
            except ConfigError as exc:
                raise ConfigError(
                    [(f"task_options.judge {path}".strip(), msg) for path, msg in exc.problems]
                ) from None
        return self._judge

    def judge(self, reference: Any, completion: str) -> dict[str, float]:
        """The judge's ``score`` of one completion; ``success``: at least ``success_at``."""
        from rewardkit.types import Sample

        sample = Sample(
            id="judge", group="judge", prompt="", completion=completion, reference=reference
        )
        value = float(self._judge_program().score([sample]).values["reward"][0])
        score = 0.0 if math.isnan(value) else value
        return {"score": score, "success": float(score >= self.options.success_at)}

    def reward_config(self) -> dict[str, Any]:
        """The judge's tree as the reward; GRPO advantages (give ``program`` to reward more)."""
        return {"reward": dict(self.judge_tree), "advantage": {"estimator": "grpo"}}


def _position(rng: np.random.Generator) -> tuple[int, str, int]:
    """``(seed, split, index)`` of an rng made by ``base.problem_rng``; index -1 for another rng.

    >>> from rewardkit.tasks.base import problem_rng
    >>> _position(problem_rng(3, "eval", 5)), _position(np.random.default_rng(1))[2]
    ((3, 'eval', 5), -1)
    """
    entropy = getattr(rng.bit_generator.seed_seq, "entropy", None)
    if isinstance(entropy, list) and len(entropy) == 3 and entropy[1] in _STREAM:
        return int(entropy[0]), _STREAM[entropy[1]], int(entropy[2])
    return 0, "train", -1


def read_rows(path: str, o: JsonlOptions, option: str) -> tuple[list[Row], str]:
    """The problems of the file at ``path`` and a digest of its bytes; InputError on bad data."""
    file = Path(path)
    if not file.is_file():
        where = "" if file.is_absolute() else f" (relative paths are read from {Path.cwd()})"
        what = "a folder, not a file" if file.is_dir() else "no such file"
        raise ConfigError([(f"task_options.{option}", f"{path!r}: {what}{where}")])
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    rows: list[Row] = []
    fields: tuple[str, str] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}, line {number}: not JSON ({exc.msg}, column {exc.colno}); each line "
                "is one JSON object"
            ) from None
        if not isinstance(record, dict):
            raise InputError(
                f"{path}, line {number}: a JSON {type(record).__name__}, not an object; each "
                'line is one JSON object such as {"question": ..., "answer": ...}'
            )
        if fields is None:
            fields = (
                _field(record, o.prompt, ("prompt", "question"), "prompt", path, number),
                _field(record, o.reference, ("reference", "answer"), "reference", path, number),
            )
        rows.append(_row(record, fields, o, path, number))
    if not rows:
        raise InputError(f"{path} holds no problems (it is empty or blank); one JSON object a line")
    return rows, hashlib.sha256(raw).hexdigest()[:16]


def _field(
    record: Mapping[str, Any],
    given: str | None,
    defaults: tuple[str, ...],
    option: str,
    path: str,
    number: int,
) -> str:
    if given is not None:
        return given
    for name in defaults:
        if name in record:
            return name
    raise InputError(
        f"{path}, line {number}: no {' or '.join(repr(d) for d in defaults)} field (it has "
        f"{', '.join(map(repr, record)) or 'none'}); name the field with task_options.{option}"
    )


def _row(
    record: Mapping[str, Any], fields: tuple[str, str], o: JsonlOptions, path: str, number: int
) -> Row:
    for name, option in ((fields[0], "prompt"), (fields[1], "reference"), (o.completion, "")):
        if name is not None and name not in record:
            hint = f" (or set task_options.{option})" if option else ""
            raise InputError(
                f"{path}, line {number}: field {name!r} is missing (it has "
                f"{', '.join(map(repr, record)) or 'none'}); give it on every line{hint}"
            )
    prompt = record[fields[0]]
    if not isinstance(prompt, str) or not prompt.strip():
        raise InputError(f"{path}, line {number}: field {fields[0]!r} must be non-empty text")
    reference = record[fields[1]]
    if o.reference_format == "gsm8k":
        reference = gsm8k_answer(reference, f"{path}, line {number}")
    completion = record[o.completion] if o.completion is not None else None
    if completion is not None and not isinstance(completion, str):
        raise InputError(f"{path}, line {number}: field {o.completion!r} must be text")
    return Row(number, prompt, reference, completion, str(record.get("id", f"line{number}")))


def gsm8k_answer(answer: Any, where: str = "answer") -> str:
    """The final answer of a GSM8K-style solution: the text after its last ``####``.

    >>> gsm8k_answer("She has 3 + 4 = 7 apples.\\n#### 7"), gsm8k_answer("#### 1,250")
    ('7', '1250')
    """
    if not isinstance(answer, str) or _GSM8K not in answer:
        raise InputError(
            f"{where}: reference_format gsm8k needs text that ends in '#### <final answer>', "
            f"got {str(answer)[:60]!r}"
        )
    final = answer.rsplit(_GSM8K, 1)[1].strip()
    if not final:
        raise InputError(f"{where}: nothing after '####' (the final answer)")
    return final.replace(",", "") if _THOUSANDS.match(final) else final


def split_rows(rows: list[Row], fraction: float, seed: int) -> tuple[list[Row], list[Row]]:
    """``(train, held_out)``: ``fraction`` of ``rows`` (at least one when above 0) held out,
    chosen by ``seed`` alone; both keep the file's order.

    >>> rows = [Row(i, "q", i, None, str(i)) for i in range(20)]
    >>> train, held = split_rows(rows, 0.1, 0)
    >>> len(train), len(held), held == split_rows(rows, 0.1, 0)[1]
    (18, 2, True)
    """
    if fraction <= 0 or len(rows) < 2:
        return list(rows), []
    count = min(len(rows) - 1, max(1, round(len(rows) * fraction)))
    chosen = set(np.random.default_rng([seed, 5]).permutation(len(rows))[:count].tolist())
    train = [r for i, r in enumerate(rows) if i not in chosen]
    return train, [r for i, r in enumerate(rows) if i in chosen]


def default_judge(rows: list[Row], o: JsonlOptions) -> dict[str, Any]:
    """The judge for references like these: unit tests; else on the ``<answer>`` tag, ``numeric``
    for numbers and ``exact_match`` for other text.

    >>> default_judge([Row(1, "q", {"asserts": ["assert f() == 1"]}, None, "a")], None)
    {'name': 'tests', 'fn': 'unit_tests_all'}
    """
    first = rows[0].reference
    if isinstance(first, Mapping) and any(k in first for k in _CODE_KEYS):
        return {"name": "tests", "fn": "unit_tests_all"}
    if isinstance(first, (Mapping, list)):
        raise ConfigError(
            [
                (
                    "task_options.judge",
                    f"the references of {o.path} are JSON {type(first).__name__}s: give the "
                    "reward tree that judges them (e.g. {fn: unit_tests_all} for unit tests)",
                )
            ]
        )
    if isinstance(first, (int, float)) or _is_number(str(first)):
        return {"name": "correct", "fn": "numeric", "extract": "answer_tag"}
    return {"name": "correct", "fn": "exact_match", "extract": "answer_tag"}


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True
