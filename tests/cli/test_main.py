"""The entry points: ``rewardkit``, ``python -m rewardkit``, and what any command does with a
user's file that is not valid Python."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.conftest import failed, rk

pytestmark = pytest.mark.process


def test_a_user_module_with_a_syntax_error_is_one_message(tmp_path: Path) -> None:
    (tmp_path / "my_rewards.py").write_text("def f(sample:\n    return 1.0\n")
    (tmp_path / "c.yaml").write_text("reward: {fn: 'my_rewards:f'}\n")
    shown = failed(
        rk("check", "c.yaml", cwd=tmp_path),
        "my_rewards.py:1: syntax error: '(' was never closed",
        "def f(sample:",
    )
    assert len(shown.splitlines()) == 3  # the message, the line, the caret
    caret = shown.splitlines()[2]
    assert caret.index("^") == shown.splitlines()[1].index("(")


def test_a_syntax_error_in_rewardkit_itself_is_not_hidden(tmp_path: Path) -> None:
    from rewardkit.cli.main import _in_user_code

    inside = SyntaxError("x", (str(Path(__file__).parents[2] / "src/rewardkit/x.py"), 1, 1, "x"))
    assert not _in_user_code(inside)
    assert _in_user_code(SyntaxError("x", (str(tmp_path / "mine.py"), 1, 1, "x")))
