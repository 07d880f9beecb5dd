"""The request bodies of the server, strict: unknown fields and wrong types are 422 with paths.

>>> ScoreRequest.model_validate({"samples": [{"id": "a", "completion": "4"}]}).samples[0].to_sample().prompt
''
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

from rewardkit.monitor import StepSamples
from rewardkit.types import Sample

Number = StrictFloat | StrictInt


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SampleIn(_Strict):
    """One rollout, as ``rewardkit.types.Sample`` (``group`` defaults to the prompt)."""

    id: StrictStr = Field(min_length=1, description="unique within the request; echoed back")
    group: StrictStr | None = Field(None, description="GRPO group id (default: the prompt)")
    prompt: StrictStr | None = None
    completion: StrictStr | None = Field(
        None, description="required unless 'messages' is given (then it is rendered from them)"
    )
    reference: Any = None
    meta: dict[str, Any] = Field(default_factory=dict)
    token_ids: list[StrictInt] | None = None
    token_offsets: list[tuple[StrictInt, StrictInt]] | None = None
    steps: list[tuple[StrictInt, StrictInt]] | None = None
    messages: list[dict[str, Any]] | None = Field(
        None, description="a multi-turn trajectory in the OpenAI chat format (docs/agents.md)"
    )
    tools: list[dict[str, Any]] | None = None
    env_spans: list[tuple[StrictInt, StrictInt]] | None = None

    @model_validator(mode="after")
    def _completion_or_messages(self) -> SampleIn:
        if self.completion is None and self.messages is None:
            raise ValueError("give 'completion', or 'messages' (a multi-turn trajectory)")
        return self

    def to_sample(self) -> Sample:
        """The library's Sample (raises ValueError on spans outside the completion or on
        malformed messages)."""
        plain = (self.messages, self.tools, self.token_ids, self.token_offsets, self.steps)
        if plain == (None,) * 5 and self.env_spans is None and self.completion is not None:
            prompt = self.prompt or ""  # what Sample.from_dict makes of it, without the dump
            group = prompt if self.group is None else self.group
            return Sample(self.id, group, prompt, self.completion, self.reference, dict(self.meta))
        data = self.model_dump(exclude_none=True)
        if self.prompt is None and self.messages is None:
            data["prompt"] = ""
        return Sample.from_dict(data)


class ScoreRequest(_Strict):
    """``POST /v1/score``: a batch of samples; with ``group_size``, whole groups get advantages."""

    samples: list[SampleIn] = Field(min_length=1)
    group_size: StrictInt | None = Field(
        None,
        ge=1,
        description="every group in the batch has exactly this many samples: advantages and "
        "batch diagnostics come back too",
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> ScoreRequest:
        seen: set[str] = set()
        for sample in self.samples:
            if sample.id in seen:
                raise ValueError(f"duplicate sample id {sample.id!r}; ids must be unique")
            seen.add(sample.id)
        return self


class StepSamplesIn(_Strict):
    """The step's completions for the monitor (``rewardkit.monitor.StepSamples``), one entry
    per completion in every list; ``null`` rewards and component values are "did not apply"."""

    completions: list[StrictStr] = Field(min_length=1)
    groups: list[StrictStr]
    rewards: list[Number | None]
    correct: list[StrictBool] | None = Field(None, description="the verifier's verdicts")
    components: dict[str, list[Number | None]] = Field(
        default_factory=dict, description="top-level component name -> value per completion"
    )

    @model_validator(mode="after")
    def _one_length(self) -> StepSamplesIn:
        n = len(self.completions)
        lists: dict[str, list[Any] | None] = {
            "groups": self.groups,
            "rewards": self.rewards,
            "correct": self.correct,
        }
        lists.update({f"components.{k}": v for k, v in self.components.items()})
        wrong = [f"{k} has {len(v)}" for k, v in lists.items() if v is not None and len(v) != n]
        if wrong:
            raise ValueError(f"{n} completions, but {', '.join(wrong)}; give one per completion")
        return self

    def to_step_samples(self) -> StepSamples:
        """The monitor's StepSamples (None as NaN)."""
        nan = float("nan")
        return StepSamples(
            completions=list(self.completions),
            groups=list(self.groups),
            rewards=[nan if r is None else float(r) for r in self.rewards],
            correct=None if self.correct is None else list(self.correct),
            components={
                k: [nan if x is None else float(x) for x in v] for k, v in self.components.items()
            },
        )


class ObserveRequest(_Strict):
    """``POST /v1/observe``: the metrics of finished step ``step`` (the same for every rank);
    ``null`` is a statistic that is not finite (a node that applied to no sample)."""

    step: StrictInt = Field(ge=0)
    metrics: dict[str, Number | None]
    outcomes: list[dict[str, Any]] | None = Field(
        None, description="per-sample outcome records for the curricula (RewardProgram.outcomes)"
    )
    samples: StepSamplesIn | None = Field(
        None, description="the step's completions, for the monitor's detectors that read them"
    )


class StatePut(_Strict):
    """``PUT /v1/state``: a whole program state (a checkpoint's), optionally compare-and-set."""

    state: dict[str, Any]
    if_version: StrictInt | None = Field(
        None, description="apply only when the current version is this one (else 409)"
    )


class OpenRLHFRequest(_Strict):
    """``POST /get_reward``: OpenRLHF's remote reward protocol (``--reward.remote_url``).

    ``query`` is prompt + response as the tokenizer decoded it, ``prompts`` the prompts,
    ``labels`` the references; three lists of one length.
    """

    query: list[StrictStr] = Field(min_length=1)
    prompts: list[StrictStr]
    labels: list[Any]

    @model_validator(mode="after")
    def _same_length(self) -> OpenRLHFRequest:
        n = len(self.query)
        if len(self.prompts) != n or len(self.labels) != n:
            raise ValueError(
                f"query, prompts and labels must have one length; got {n}, "
                f"{len(self.prompts)} and {len(self.labels)}"
            )
        return self

    def to_samples(self) -> list[Sample]:
        """One Sample per query; the completion is the query after its prompt."""
        return [
            Sample(id=str(i), group=p, prompt=p, completion=completion_of(q, p), reference=label)
            for i, (q, p, label) in enumerate(
                zip(self.query, self.prompts, self.labels, strict=True)
            )
        ]


def completion_of(query: str, prompt: str) -> str:
    """The response inside OpenRLHF's ``query``: the text after the prompt.

    A chat template can make the decoded query differ from the prompt in whitespace or special
    tokens; then the text after the prompt's last occurrence is taken, and the whole query when
    the prompt is not in it.

    >>> completion_of("<s>Q: 2+2?A: 4</s>", "Q: 2+2?")
    'A: 4</s>'
    """
    if query.startswith(prompt):
        return query[len(prompt) :]
    at = query.rfind(prompt) if prompt else -1
    return query if at < 0 else query[at + len(prompt) :]
