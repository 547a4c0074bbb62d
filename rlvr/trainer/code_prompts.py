"""Prompts for code problems (code_tasks.py): chat messages asking for one fenced Python block, or
plain text a base model continues (a HumanEval prompt is a function signature and docstring; the
completion is its body, which the `code` verifier runs after the reference's `prelude`).

>>> from rlvr.trainer.problem import Problem
>>> p = Problem("Read a and b; print a + b.", "print(sum(map(int, input().split())))\\n", "{}", kind="code")
>>> chat_code_prompt(p.question, [])[1]["content"]
'Read a and b; print a + b.'
"""

from __future__ import annotations

from rlvr.trainer.problem import Problem

CODE_SYSTEM_PROMPT = (
    "You are an expert Python programmer. Solve the task and reply with exactly one fenced ```python "
    "code block holding the complete program. For a function, keep the given name and signature; for a "
    "program, read standard input and print the answer."
)


def _is_function_task(question: str) -> bool:
    """HumanEval-style: the question is Python code (a signature and docstring), not prose."""
    return question.lstrip().startswith(("def ", "from ", "import ", "class "))


def _ask(question: str) -> str:
    if _is_function_task(question):
        return f"Complete this Python function:\n```python\n{question.rstrip()}\n```"
    return question


def chat_code_prompt(question: str, examples: list[Problem]) -> list[dict[str, str]]:
    """A system prompt, solved examples as user/assistant turns, then the task."""
    messages = [{"role": "system", "content": CODE_SYSTEM_PROMPT}]
    for ex in examples:
        messages += [
            {"role": "user", "content": _ask(ex.question)},
            {"role": "assistant", "content": f"```python\n{ex.solution.rstrip()}\n```"},
        ]
    messages.append({"role": "user", "content": _ask(question)})
    return messages


def plain_code_prompt(question: str, examples: list[Problem]) -> str:
    """Solved examples as code, then the task for the model to continue (a base model's form)."""
    shots = "".join(f"{_plain(ex.question)}{_body(ex)}\n\n" for ex in examples)
    return shots + _plain(question)


def _plain(question: str) -> str:
    if _is_function_task(question):
        return question  # the model writes the function's body
    task = "\n".join(f"# {line}" for line in question.splitlines())
    return f"{task}\n# A Python 3 program that reads standard input:\n"


def _body(example: Problem) -> str:
    """What follows an example's plain prompt: the solution, less the prompt it repeats."""
    return example.solution.removeprefix(example.question).rstrip()
