"""A trajectory (OpenAI chat messages) is one Sample: rendered completion, turns as steps, the
environment's spans masked from advantages."""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit import InputError, Sample
from rewardkit.advantage import Groups, token_advantages
from rewardkit.trajectory import ToolCall, offered_tools, parse_tool_calls, render, tool_calls
from rewardkit.types import env_token_mask

MESSAGES = [
    {"role": "system", "content": "You may call tools."},
    {"role": "user", "content": "What is 2+3?"},
    {
        "role": "assistant",
        "content": "I add.",
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "content": "5"},
    {"role": "assistant", "content": "<answer>5</answer>"},
]


def test_render_turns_and_env_spans_cover_exactly_their_messages() -> None:
    text, turns, env = render(MESSAGES)
    assert [text[a:b] for a, b in turns] == [
        'I add.\n<tool_call>{"name": "add", "arguments": {"a": 2, "b": 3}}</tool_call>',
        "<answer>5</answer>",
    ]
    assert [text[a:b] for a, b in env] == ["<tool_response>5</tool_response>"]
    # every character is in a turn, in an env span, or one of the joining newlines
    covered = sum(b - a for a, b in (*turns, *env))
    assert covered + text.count("\n", 0) - 1 == len(text)  # 1 newline inside the first turn


def test_from_trajectory_is_a_sample_whose_turns_are_its_steps() -> None:
    s = Sample.from_trajectory(MESSAGES, id="t", reference="5", tools=[{"name": "add"}])
    assert s.prompt == "You may call tools.\nWhat is 2+3?"
    assert s.group == s.prompt
    assert s.steps is not None and len(s.steps) == 2
    assert s.env_spans is not None and len(s.env_spans) == 1
    assert s.tools == ({"name": "add"},)


def test_from_dict_renders_messages_when_no_completion_is_given() -> None:
    s = Sample.from_dict({"messages": MESSAGES, "reference": "5", "id": 3})
    assert s.id == "3" and s.completion.endswith("<answer>5</answer>")
    assert s == Sample.from_trajectory(MESSAGES, id="3", reference="5")


def test_from_dict_keeps_a_hosts_own_completion_with_its_spans() -> None:
    s = Sample.from_dict(
        {
            "completion": "ab<r>x</r>cd",
            "messages": MESSAGES,
            "steps": [[0, 2], [10, 12]],
            "env_spans": [[2, 10]],
        }
    )
    assert s.completion == "ab<r>x</r>cd" and s.env_spans == ((2, 10),)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"messages": "hi"}, "list of chat messages"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "role 'robot'"),
        ({"messages": [{"role": "user", "content": 3}]}, "'content' must be a string"),
        ({"messages": [{"role": "user", "content": "x", "tool_calls": []}]}, "tool_calls"),
        ({"messages": MESSAGES, "steps": [[0, 1]]}, "rendered from the messages"),
        ({"messages": MESSAGES, "tools": "add"}, "'tools' must be a list"),
        ({"completion": "abc", "env_spans": [[0, 9]]}, "env span"),
    ],
)
def test_bad_trajectories_are_input_errors_that_name_the_field(data: dict, says: str) -> None:
    with pytest.raises(InputError, match=says):
        Sample.from_dict(data)


def test_tool_calls_from_messages_and_from_text_agree() -> None:
    s = Sample.from_trajectory(MESSAGES)
    from_messages = tool_calls(s.messages, s.completion)
    from_text = tool_calls(None, s.completion)
    assert from_messages == [ToolCall("add", {"a": 2, "b": 3}, turn=0)]
    assert from_text == [ToolCall("add", {"a": 2, "b": 3}, turn=0)]


def test_parse_tool_calls_reads_lists_lines_and_parameters_and_keeps_broken_blocks() -> None:
    text = (
        '<tool_call>[{"name": "a", "arguments": {"x": 1}}, {"name": "b", "arguments": "{}"}]</tool_call>'
        '<tool_call>\n{"name": "c", "parameters": {"y": 2}}\n{"name": "d", "parameters": {}}\n</tool_call>'
        "<tool_call>{not json</tool_call>"
        '<tool_call>{"name": "e", "arguments": "[1]"}</tool_call>'
    )
    calls = parse_tool_calls(text)
    assert [(c.name, c.arguments) for c in calls] == [
        ("a", {"x": 1}),
        ("b", {}),
        ("c", {"y": 2}),
        ("d", {}),
        ("", None),
        ("e", None),
    ]


def test_offered_tools_reads_both_schema_forms_and_skips_nameless_ones() -> None:
    tools = [
        {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}},
        {"name": "g"},
        {"description": "no name"},
    ]
    assert offered_tools(tools) == {"f": {"type": "object"}, "g": {}}


def test_env_tokens_get_no_advantage_with_or_without_step_values() -> None:
    s = Sample.from_trajectory(MESSAGES)
    offsets = tuple((i, i + 1) for i in range(len(s.completion)))  # one token per character
    s = Sample.from_trajectory(MESSAGES).__class__(
        **{**s.__dict__, "token_ids": tuple(range(len(offsets))), "token_offsets": offsets}
    )
    mask = env_token_mask(offsets, s.env_spans)
    assert mask.sum() == len("<tool_response>5</tool_response>")
    (plain,) = token_advantages([s], np.array([1.5]), [None], [None], 0.0)
    assert plain is not None and set(plain[mask]) == {0.0} and set(plain[~mask]) == {1.5}
    (stepped,) = token_advantages([s], np.array([1.0]), [np.array([1.0, -1.0])], [s.steps], 0.5)
    assert stepped is not None and set(stepped[mask]) == {0.0}
    a, b = s.steps[1]
    assert set(stepped[a:b]) == {0.5}


def test_program_masks_tool_output_tokens_for_an_outcome_only_reward() -> None:
    from rewardkit import RewardProgram

    program = RewardProgram.from_dict(
        {"reward": {"fn": "regex", "pattern": "<answer>5</answer>", "mode": "search"}}
    )
    base = Sample.from_trajectory(MESSAGES, group="g")
    offsets = tuple((i, i + 1) for i in range(len(base.completion)))
    rows = [
        base.__class__(**{**base.__dict__, "id": str(i), "token_offsets": offsets})
        for i in range(2)
    ]
    other = Sample(id="x", group="g", prompt="p", completion="no")
    adv = program.advantages(program.score([*rows, other]))
    assert Groups.from_ids("ggg").codes.tolist() == [0, 0, 0]
    row = adv.per_token[0]
    assert row is not None
    assert set(row[env_token_mask(offsets, base.env_spans)]) == {0.0}
    assert row[0] == pytest.approx(adv.per_sample[0]) and adv.per_sample[0] > 0


def test_a_tool_that_echoes_an_answer_never_answers_for_the_model() -> None:
    from rewardkit import RewardProgram

    echo = [
        {"role": "user", "content": "What is 2+3?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": "echo", "arguments": {"text": "<answer>5</answer>"}}}]},
        {"role": "tool", "content": "<answer>5</answer>"},
        {"role": "assistant", "content": "I am not sure."},
    ]  # fmt: skip
    sample = Sample.from_trajectory(echo, reference="5")
    assert "<answer>5</answer>" in sample.completion
    assert "<answer>" not in sample.model_text.replace('"<answer>5</answer>"', "")
    for fn in ("math_equivalent", "numeric", "exact_match"):
        program = RewardProgram.from_dict({"reward": {"fn": fn, "extract": "answer_tag"}})
        assert program.score([sample]).reward_list() == [0.0], fn
    # the model's own answer, after the same echo, is read
    right = Sample.from_trajectory(
        [*echo[:3], {"role": "assistant", "content": "<answer>5</answer>"}], reference="5"
    )
    assert right.model_text.count("<answer>5</answer>") == 1
