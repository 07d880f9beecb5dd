"""The reward contract: one rollout (`Sample`), one component's verdict (`Score`), and a scored batch.

>>> s = Sample(id="a", group="q1", prompt="2+2?", completion="<answer>4</answer>", reference="4")
>>> Score(1.0).value
1.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rewardkit.trajectory import env_token_mask, model_text, validate_tools

__all__ = [
    "Failure",
    "JSONValue",
    "Sample",
    "Score",
    "ScoredBatch",
    "Span",
    "env_token_mask",
    "token_step_index",
]

Span = tuple[int, int]
"""A half-open character range ``[start, end)`` into ``Sample.completion``."""


def token_step_index(offsets: Sequence[Span], spans: Sequence[Span]) -> np.ndarray:
    """For each token (its character span), the index of the step it overlaps most, or -1.

    Ties go to the earlier step; a token that overlaps no step (the newline between two) belongs
    to none. Step scorers and per-token advantages both use this rule, so a step's value lands on
    exactly the tokens that produced it.

    >>> token_step_index([(0, 1), (1, 3), (3, 4)], [(0, 2), (2, 4)]).tolist()
    [0, 0, 1]
    """
    if len(offsets) == 0 or len(spans) == 0:
        return np.full(len(offsets), -1, dtype=np.int64)
    tok = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    step = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    overlap = np.minimum(tok[:, 1:2], step[None, :, 1]) - np.maximum(tok[:, 0:1], step[None, :, 0])
    best = overlap.argmax(axis=1)  # argmax keeps the first of equal maxima: ties go earlier
    return np.where(overlap.max(axis=1) > 0, best, -1).astype(np.int64)


JSONValue = Any
"""Any value that ``json.dumps`` accepts (the reference of a sample is one)."""


@dataclass(frozen=True)
class Sample:
    """One rollout: what the model was asked, what it wrote, and what is known to be right.

    Attributes:
        id: unique id of the rollout (used in error records and output lines).
        group: id of the GRPO group (all rollouts of one prompt share it).
        prompt: the prompt text.
        completion: the text the model generated.
        reference: the ground truth in any JSON shape (answer, boxes, tests, graph...).
        meta: free metadata (task, difficulty, data source, cost...).
        token_ids: optional token ids of the completion (lengths are counted in tokens when given).
        token_offsets: optional character span of each completion token, same length as token_ids;
            used to map step spans onto tokens for per-token advantages.
        steps: optional step spans (character offsets into the completion); the assistant
            turns of a trajectory.
        messages: the trajectory in the OpenAI chat format (prompt messages, then assistant
            turns with ``tool_calls`` and ``tool`` results), for a multi-turn rollout; see
            ``rewardkit.trajectory`` and ``Sample.from_trajectory``.
        tools: the tools offered to the model (OpenAI function schemas).
        env_spans: spans of the completion the environment wrote (tool outputs, feedback): their
            tokens never get an advantage.

    >>> Sample(id="0", group="g", prompt="p", completion="c").reference is None
    True
    """

    id: str
    group: str
    prompt: str
    completion: str
    reference: JSONValue = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    token_ids: tuple[int, ...] | None = None
    token_offsets: tuple[Span, ...] | None = None
    steps: tuple[Span, ...] | None = None
    messages: tuple[Mapping[str, Any], ...] | None = None
    tools: tuple[Mapping[str, Any], ...] | None = None
    env_spans: tuple[Span, ...] | None = None

    def __post_init__(self) -> None:
        offsets, ids = self.token_offsets, self.token_ids
        if offsets is not None and ids is not None and len(offsets) != len(ids):
            raise ValueError(
                f"sample {self.id!r}: token_offsets has {len(offsets)} entries but "
                f"token_ids has {len(ids)}; give one character span per token"
            )
        for what, spans in (("step", self.steps), ("env", self.env_spans)):
            for span in spans or ():
                start, end = span
                if not 0 <= start <= end <= len(self.completion):
                    raise ValueError(
                        f"sample {self.id!r}: {what} span {span} is outside the completion "
                        f"(length {len(self.completion)}); spans are [start, end) character "
                        "offsets"
                    )

    @classmethod
    def from_trajectory(
        cls,
        messages: Sequence[Mapping[str, Any]],
        *,
        id: str = "",
        group: str | None = None,
        reference: JSONValue = None,
        meta: Mapping[str, Any] | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> Sample:
        """A multi-turn rollout as one Sample: the prompt is the text of the messages before the
        first assistant turn, the completion the rendered rest, its assistant turns the steps and
        the environment's messages ``env_spans`` (``rewardkit.trajectory.render``).

        >>> s = Sample.from_trajectory([{"role": "user", "content": "hi"},
        ...                             {"role": "assistant", "content": "hello"}])
        >>> s.prompt, s.completion, s.steps
        ('hi', 'hello', ((0, 5),))
        """
        from rewardkit.trajectory import prompt_messages, render, validate_messages

        msgs = validate_messages(list(messages))
        completion, turns, env = render(msgs)
        prompt = "\n".join(str(m.get("content") or "") for m in prompt_messages(msgs))
        return cls(
            id=id,
            group=prompt if group is None else group,
            prompt=prompt,
            completion=completion,
            reference=reference,
            meta=dict(meta or {}),
            steps=turns,
            messages=msgs,
            tools=None if tools is None else tuple(tools),
            env_spans=env,
        )

    @classmethod
    def from_dict(cls, data: Any, default_id: str = "") -> Sample:
        """Build a Sample from a JSON object; raises InputError naming the bad field.

        ``completion`` is required; ``id`` defaults to ``default_id``; ``group`` defaults to the
        prompt, so rollouts of the same prompt form one GRPO group.

        >>> Sample.from_dict({"prompt": "p", "completion": "c"}, default_id="7").group
        'p'
        """
        from rewardkit.errors import InputError

        if not isinstance(data, Mapping):
            raise InputError(f"a sample is a JSON object, got {type(data).__name__}")
        unknown = set(data) - _SAMPLE_FIELDS
        if unknown:
            raise InputError(
                f"unknown sample field(s) {sorted(unknown)}; known: {sorted(_SAMPLE_FIELDS)}"
            )
        for key in ("prompt", "id", "group"):
            if key in data and not isinstance(data[key], str | int):
                raise InputError(f"{key!r} must be a string")
        if not isinstance(data.get("meta", {}), Mapping):
            raise InputError("'meta' must be a JSON object")
        if "messages" in data and "completion" not in data:
            return _from_trajectory_dict(cls, data, default_id)
        if not isinstance(data.get("completion"), str):
            raise InputError("'completion' is required and must be a string (or give 'messages')")
        prompt = str(data.get("prompt", ""))
        try:
            return cls(
                id=str(data.get("id", default_id)),
                group=str(data.get("group", prompt)),
                prompt=prompt,
                completion=data["completion"],
                reference=data.get("reference"),
                meta=dict(data.get("meta", {})),
                token_ids=_tuple(data.get("token_ids"), "token_ids"),
                token_offsets=_spans(data.get("token_offsets"), "token_offsets"),
                steps=_spans(data.get("steps"), "steps"),
                messages=_messages(data.get("messages")),
                tools=validate_tools(data.get("tools")),
                env_spans=_spans(data.get("env_spans"), "env_spans"),
            )
        except ValueError as exc:
            raise InputError(str(exc)) from None

    @property
    def model_text(self) -> str:
        """What the model wrote as prose: the completion with the environment's spans
        (``env_spans``) and the model's ``<tool_call>`` blocks cut out, each left as one newline.
        Answers and code are read from here: a tool call is an action, not an answer, and a tool
        that echoes its input (``<answer>5</answer>`` in a tool result) never answers for the model.

        >>> Sample(id="0", group="g", prompt="", completion="a<r>b</r>c", env_spans=((1, 9),)).model_text
        'a\\nc'
        """
        return model_text(self.completion, self.env_spans)

    @property
    def num_tokens(self) -> int | None:
        """Number of completion tokens, or None when token ids were not given."""
        return None if self.token_ids is None else len(self.token_ids)


_SAMPLE_FIELDS = {
    "id",
    "group",
    "prompt",
    "completion",
    "reference",
    "meta",
    "token_ids",
    "token_offsets",
    "steps",
    "messages",
    "tools",
    "env_spans",
}


def _messages(value: Any) -> tuple[Mapping[str, Any], ...] | None:
    from rewardkit.trajectory import validate_messages

    return None if value is None else validate_messages(value)


def _from_trajectory_dict(cls: type[Sample], data: Mapping[str, Any], default_id: str) -> Sample:
    """``Sample.from_dict`` of a trajectory given as ``messages`` without a ``completion``."""
    from rewardkit.errors import InputError

    for key in ("steps", "env_spans", "token_ids", "token_offsets"):
        if data.get(key) is not None:
            raise InputError(
                f"{key!r} refers to a completion; with 'messages' and no 'completion' they are "
                "rendered from the messages (give the completion too to set them yourself)"
            )
    try:
        sample = cls.from_trajectory(
            _messages(data["messages"]) or (),
            id=str(data.get("id", default_id)),
            group=None if data.get("group") is None else str(data["group"]),
            reference=data.get("reference"),
            meta=dict(data.get("meta", {})),
            tools=validate_tools(data.get("tools")),
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if "prompt" in data:
        import dataclasses

        prompt = str(data["prompt"])
        group = sample.group if data.get("group") is not None else prompt
        sample = dataclasses.replace(sample, prompt=prompt, group=group)
    return sample


def _tuple(value: Any, name: str) -> tuple[int, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ValueError(f"{name!r} must be a list of integers")
    return tuple(value)


def _spans(value: Any, name: str) -> tuple[Span, ...] | None:
    if value is None:
        return None
    ok = isinstance(value, list) and all(
        isinstance(v, list | tuple) and len(v) == 2 and all(isinstance(x, int) for x in v)
        for v in value
    )
    if not ok:
        raise ValueError(f"{name!r} must be a list of [start, end] integer pairs")
    return tuple((int(a), int(b)) for a, b in value)


@dataclass(frozen=True)
class Score:
    """A component's verdict on one sample.

    ``value`` is the reward; ``steps`` holds one value per step for process rewards (NaN for a
    step that could not be judged); ``info`` is logged, never rewarded. A component returns ``None`` instead of a Score when it does not apply.

    >>> Score(0.5, steps=(1.0, 0.0)).steps
    (1.0, 0.0)
    """

    value: float
    steps: tuple[float, ...] | None = None
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    """A component that raised on a sample: recorded, counted, and handled by ``on_error``."""

    path: str
    sample_id: str
    error_type: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "sample_id": self.sample_id,
            "error_type": self.error_type,
            "message": self.message,
        }


_Records = dict[str, list[dict[str, str]]]


@dataclass
class ScoredBatch:
    """The result of scoring a list of samples with a reward tree.

    ``values[path]`` is a float array with NaN where the node did not apply (``None``);
    ``rewards`` is the root's column. ``steps[path]`` holds per-sample step values for nodes that
    produce them. ``metrics`` holds the per-node statistics of this batch (see diagnostics).
    ``unjudgeable`` records the references a component could not read (see ``on_unjudgeable``).
    """

    samples: list[Sample]
    values: dict[str, np.ndarray]
    steps: dict[str, list[tuple[float, ...] | None]]
    info: dict[str, list[Mapping[str, Any]]]
    failures: list[Failure]
    root: str = "reward"
    metrics: dict[str, float] = field(default_factory=dict)
    unjudgeable: list[Failure] = field(default_factory=list)
    """References a component could not read, one record per (component, sample)."""

    @property
    def rewards(self) -> np.ndarray:
        """The root reward per sample (NaN where nothing applied)."""
        return self.values[self.root]

    def reward_list(self) -> list[float | None]:
        """Root rewards as Python floats, with None where nothing applied."""
        return [None if np.isnan(v) else float(v) for v in self.rewards]

    def group_ids(self) -> list[str]:
        return [s.group for s in self.samples]

    @classmethod
    def concat(
        cls, parts: Sequence[ScoredBatch], order: Sequence[int] | None = None
    ) -> ScoredBatch:
        """Several scored batches of one program as one, rows in ``order`` (``order[k]`` is the
        input row of joined row k; default: the parts one after another).

        Columns, steps, infos and records are joined; of the metrics only what no column holds
        is carried (``unjudgeable/skipped`` summed, ``schedule/*`` from the first part: one
        step, one set of variables). ``diagnostics.merge_scored`` recomputes the statistics.
        """
        if not parts:
            raise ValueError("ScoredBatch.concat needs at least one part")
        n = sum(len(p.samples) for p in parts)
        where = list(range(n)) if order is None else [int(i) for i in np.argsort(order)]

        def rows(items: list[Any]) -> list[Any]:
            return [items[i] for i in where]

        samples = rows([x for p in parts for x in p.samples])
        values = {k: np.concatenate([p.values[k] for p in parts])[where] for k in parts[0].values}
        step_keys = dict.fromkeys(k for p in parts for k in p.steps)
        steps = {k: rows([x for p in parts for x in p.steps.get(k, [None] * len(p.samples))])
                 for k in step_keys}  # fmt: skip
        info_keys = dict.fromkeys(k for p in parts for k in p.info)
        info = {k: rows([x for p in parts for x in p.info.get(k, [{}] * len(p.samples))])
                for k in info_keys}  # fmt: skip
        metrics = {k: v for k, v in parts[0].metrics.items() if k.startswith("schedule/")}
        metrics["unjudgeable/skipped"] = sum(
            p.metrics.get("unjudgeable/skipped", 0.0) for p in parts
        )
        return cls(
            samples,
            values,
            steps,
            info,
            [f for p in parts for f in p.failures],
            parts[0].root,
            metrics,
            [u for p in parts for u in p.unjudgeable],
        )

    def records_by_sample(self) -> tuple[_Records, _Records]:
        """Per sample id: its error records and its unjudgeable-reference records, as written
        into output rows (``score`` files, server answers)."""
        errors: _Records = {}
        for f in self.failures:
            errors.setdefault(f.sample_id, []).append(
                {"path": f.path, "type": f.error_type, "message": f.message}
            )
        unjudgeable: _Records = {}
        for u in self.unjudgeable:
            unjudgeable.setdefault(u.sample_id, []).append({"path": u.path, "message": u.message})
        return errors, unjudgeable
