"""The master-key pre-filter: answers with no content are judged wrong without asking the model.

"One Token to Fool LLM-as-a-Judge" (research notes, 2e-1) shows judges that compare an answer with a
reference saying "correct" to answers made only of ":" or ".", or only of a reasoning opener such
as "Thought process:" or "解". Such an answer states nothing, so no judge needs to see it. The
filter reads the *extracted* answer and returns why it has no content, or None when it has some:

- ``no_answer``: extraction found nothing (no ``<answer>`` tag, no ``\\boxed{}``...);
- ``empty``: only whitespace;
- ``punctuation_only``: no letter or digit in any script (":", ".", "。", "…", "——");
- ``markup_only``: only tags and LaTeX wrappers (``<answer></answer>``, ``\\boxed{}``);
- ``opener_only``: only reasoning openers and answer labels, in any of the languages listed.

>>> no_content_reason(":")
'punctuation_only'
>>> no_content_reason("Let's solve this problem step by step.")
'opener_only'
>>> no_content_reason("解") , no_content_reason("42")
('opener_only', None)
"""

from __future__ import annotations

import re
import unicodedata

OPENERS: tuple[str, ...] = (
    # English: the paper's reasoning openers and their common variants
    "Let's solve this problem step by step",
    "Let's solve this step by step",
    "Let's think step by step",
    "Let me think step by step",
    "Let me solve this step by step",
    "Let's break this down",
    "Thought process",
    "Reasoning",
    "Solution",
    "Answer",
    "Final answer",
    "The answer is",
    "Step 1",
    # Chinese, Japanese, Korean
    "解",
    "解答",
    "解题过程",
    "思考过程",
    "让我们一步一步地解决这个问题",
    "答案",
    "答",
    "かいせつ",
    "解説",
    "解き方",
    "答え",
    "풀이",
    "정답",
    "단계별로 풀어봅시다",
    # Spanish, French, German, Portuguese, Italian, Russian, Arabic, Hindi
    "Respuesta",
    "Solución",
    "Resolvamos este problema paso a paso",
    "Réponse",
    "Résolvons ce problème étape par étape",
    "Antwort",
    "Lösung",
    "Lösen wir das Problem Schritt für Schritt",
    "Resposta",
    "Solução",
    "Vamos resolver este problema passo a passo",
    "Risposta",
    "Soluzione",
    "Ответ",
    "Решение",
    "Давайте решим эту задачу шаг за шагом",
    "الحل",
    "الإجابة",
    "हल",
    "उत्तर",
)
"""Reasoning openers and answer labels: an answer made only of these says nothing."""

_TAG = re.compile(r"</?[A-Za-z][\w.-]*\s*/?>")
_LATEX_WRAPPER = re.compile(r"\\(?:boxed|fbox|text|textbf|mathrm|mbox)\b|\\[()\[\]]|\$+")
_OPENER = re.compile(
    "|".join(re.escape(o) for o in sorted(OPENERS, key=len, reverse=True)), re.IGNORECASE
)


def has_content(text: str) -> bool:
    """True when ``text`` holds a letter or a digit, in any script.

    >>> has_content("。，"), has_content("x")
    (False, True)
    """
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def no_content_reason(answer: str | None) -> str | None:
    """Why ``answer`` (the extracted answer) has no content, or None when it has some."""
    if answer is None:
        return "no_answer"
    if not answer.strip():
        return "empty"
    if not has_content(answer):
        return "punctuation_only"
    bare = _LATEX_WRAPPER.sub("", _TAG.sub("", answer))
    if not has_content(bare):
        return "markup_only"
    if not has_content(_OPENER.sub("", bare)):
        return "opener_only"
    return None
