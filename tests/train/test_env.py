"""The environment interface (rewardkit.tasks.env): tools from methods, errors as results,
observations rendered as the trajectory renders tool messages."""

from __future__ import annotations

from rewardkit.tasks.boxes import Boxes
from rewardkit.tasks.env import (
    Environment,
    StepOutcome,
    ToolEnv,
    environment_factory,
    observation_text,
    tool_schema,
)
from rewardkit.tasks.lookup import Lookup
from rewardkit.trajectory import ToolCall, offered_tools, parse_tool_calls, render


class Shop(ToolEnv):
    tool_names = ("price", "buy")

    def price(self, item: str) -> str:
        """The price of an item."""
        return {"tea": "3", "cake": "5"}[item]

    def buy(self, item: str, count: int = 1) -> str:
        """Buy count items."""
        if count < 1:
            raise ValueError("count must be at least 1")
        return f"bought {count} {item}"

    def reward(self, calls: object, results: tuple[str, ...]) -> float | None:  # type: ignore[override]
        return float(sum(not r.startswith("error") for r in results))


def test_a_tool_env_offers_its_methods_as_openai_function_schemas() -> None:
    env = Shop()
    assert isinstance(env, Environment)
    assert offered_tools(env.tools) == {
        "price": {
            "type": "object",
            "properties": {"item": {"type": "string"}},
            "required": ["item"],
        },
        "buy": {
            "type": "object",
            "properties": {"item": {"type": "string"}, "count": {"type": "integer"}},
            "required": ["item"],
        },
    }
    assert tool_schema(env.price)["function"]["description"] == "The price of an item."


def test_step_runs_every_call_and_returns_errors_as_results() -> None:
    env = Shop()
    env.reset("a problem")
    calls = [
        ToolCall("price", {"item": "tea"}),
        ToolCall("buy", {"item": "cake", "count": 2}),
        ToolCall("buy", {"item": "cake", "count": 0}),
        ToolCall("steal", {"item": "cake"}),
        ToolCall("price", None),
        ToolCall("price", {"thing": "tea"}),
        ToolCall("price", {"item": "coffee"}),
    ]
    out = env.step(calls)
    assert out.observation[:2] == ("3", "bought 2 cake")
    assert out.observation[2:5] == (
        "error: count must be at least 1",
        "error: unknown tool 'steal'",
        "error: arguments must be a JSON object",
    )
    assert out.observation[5].startswith("error: ") and "thing" in out.observation[5]
    assert out.observation[6] == "error: coffee"
    assert out.reward == 2.0 and out.done is False
    assert env.step([]).observation == ("error: no tool call could be read",)


def test_the_observation_renders_as_the_trajectory_renders_tool_messages() -> None:
    out = StepOutcome(("3", "5"), reward=None)
    call = '<tool_call>{"name": "price", "arguments": {"item": "tea"}}</tool_call>'
    messages = [
        {"role": "user", "content": "tea?"},
        {"role": "assistant", "content": call},
        *out.messages(),
        {"role": "assistant", "content": "<answer>3</answer>"},
    ]
    text, turns, env = render(messages)
    assert text == call + observation_text(out.messages()) + "<answer>3</answer>"
    assert [text[a:b] for a, b in env] == [
        "<tool_response>3</tool_response>",
        "<tool_response>5</tool_response>",
    ]
    assert len(turns) == 2
    assert StepOutcome("one").messages() == [{"role": "tool", "content": "one"}]
    assert len(parse_tool_calls(text)) == 1


def test_a_task_is_multi_turn_when_it_has_an_environment() -> None:
    assert environment_factory(Boxes()) is None
    factory = environment_factory(Lookup())
    assert factory is not None and isinstance(factory(), Environment)
