"""Few-shot prompts in two styles: plain text for base models, chat messages for instruct models.

Plain text is the published recipe's form:
    Question: …\\nSolution: Let's think step by step. …\\n#### The final answer is N
Examples are drawn from the training split only, never from evaluation data.

>>> from rlvr.trainer.problem import Problem
>>> ex = Problem("1+1?", "1 + 1 = <<1+1=2>>2\\n#### 2", "#### 2")
>>> print(plain_prompt("2+2?", [ex]))
Question: 1+1?
Solution: Let's think step by step. 1 + 1 = 2
#### The final answer is 2
<BLANKLINE>
Question: 2+2?
Solution: Let's think step by step.
"""

from __future__ import annotations

import random
from typing import Any

from rlvr.trainer.code_prompts import chat_code_prompt, plain_code_prompt
from rlvr.trainer.data import strip_calculator
from rlvr.trainer.problem import Problem

SYSTEM_PROMPT = (
    "You are a careful math tutor. Solve the problem step by step, then write the final answer "
    "on its own last line as '#### <number>'."
)
# Where a base model starts inventing the next question: generation stops at this token.
STOP_WORD = "Question"


def _worked(problem: Problem) -> tuple[str, str]:
    """The solution's reasoning lines (calculator notes removed) and its final answer."""
    body = strip_calculator(problem.solution).rsplit("####", 1)[0].strip()
    return body, problem.answer


def plain_prompt(question: str, examples: list[Problem]) -> str:
    """The published recipe's plain-text few-shot prompt."""
    shots = []
    for ex in examples:
        body, answer = _worked(ex)
        shots.append(f"Question: {ex.question}\nSolution: Let's think step by step. {body}\n")
        shots.append(f"#### The final answer is {answer}\n\n")
    return "".join(shots) + f"Question: {question}\nSolution: Let's think step by step."


def chat_prompt(question: str, examples: list[Problem], system_prompt: str = SYSTEM_PROMPT) -> list[dict[str, str]]:
    """Chat messages: a system prompt, k solved user/assistant turns, then the question."""
    messages = [{"role": "system", "content": system_prompt}]
    for ex in examples:
        body, answer = _worked(ex)
        messages += [
            {"role": "user", "content": ex.question},
            {"role": "assistant", "content": f"{body}\n#### {answer}"},
        ]
    messages.append({"role": "user", "content": question})
    return messages


class FewShotPrompter:
    """Builds prompts with `shots` examples drawn (seeded, per question) from a training pool."""

    def __init__(
        self,
        pool: list[Problem],
        shots: int,
        style: str,
        seed: int = 0,
        system_prompt: str = SYSTEM_PROMPT,
        kind: str = "math",
    ):
        if style not in ("plain", "chat"):
            raise ValueError(f"prompt style must be 'plain' or 'chat', got {style!r}")
        if kind not in ("math", "code", "ifeval"):
            raise ValueError(f"problem kind must be 'math', 'code' or 'ifeval', got {kind!r}")
        if kind == "ifeval" and shots:
            raise ValueError("instruction-following problems have no worked solutions: their prompts are zero-shot")
        if shots > len(pool):
            raise ValueError(f"{shots} shots need at least {shots} training problems; the pool has {len(pool)}")
        self.pool, self.shots, self.style, self.seed, self.system_prompt = (
            pool,
            shots,
            style,
            seed,
            system_prompt,
        )
        self.kind = kind

    def examples_for(self, question: str) -> list[Problem]:
        rng = random.Random(f"{self.seed}:{question}")
        candidates = [p for p in rng.sample(self.pool, min(len(self.pool), self.shots + 1)) if p.question != question]
        return candidates[: self.shots]

    def __call__(self, question: str) -> str | list[dict[str, str]]:
        if self.kind == "ifeval":  # the request as IFEval asks it, nothing added
            return question + "\n\n" if self.style == "plain" else [{"role": "user", "content": question}]
        examples = self.examples_for(question)
        if self.kind == "code":
            return (plain_code_prompt if self.style == "plain" else chat_code_prompt)(question, examples)
        if self.style == "plain":
            return plain_prompt(question, examples)
        return chat_prompt(question, examples, self.system_prompt)


def stop_token_ids(tokenizer: Any, style: str, kind: str = "math") -> list[int]:
    """Token ids that end generation besides EOS: for plain math prompts, the start of a new `Question`."""
    if style != "plain" or kind != "math":
        return []
    ids: list[int] = tokenizer.encode(STOP_WORD, add_special_tokens=False)
    return ids if len(ids) == 1 else []
