"""Requests and answers shared by the adapter tests (a module, not a test file)."""

from __future__ import annotations

PROMPT = "Question: Tom has 3 apples and gets 2 more.\nSolution: 3 + 2 = 5\n#### 5\n\nQuestion: 9 * 2?\nSolution:"
# The eight gsm8k spec cases: (completion, reference, reward). The prompt's own `#### 5` must never count.
CASES = [
    (" 9 * 2 = 18.\n#### 18", "18", 1.5),  # GSM8K's form
    (" Let's think step by step.\n#### The final answer is 18", "#### 18", 1.5),  # the recipe's form, a whole solution
    (" The total is \\boxed{18}.", "18", 1.5),  # LaTeX box
    (" <answer>$18</answer>", "18", 1.5),  # tags, dollar sign
    (" #### 17", "18", 0.5),  # formatted, wrong
    (" The answer is 18", "18", 0.0),  # no final-answer form: strict
    (" #### 18 or 20", "18", 0.0),  # several numbers in the slot
    (" #### 18\nQuestion: and 9 * 3?\n#### 27", "18", 0.0),  # runs on into another question: conflicting
]
HANG = "tests.plugins.misbehaving:MisbehavingVerifier"


def nemo_body(completion: str, reference: str) -> dict:
    """NeMo Gym 0.7.0 BaseVerifyRequest: the run request, the model's Responses object, the task fields."""
    return {
        "responses_create_params": {"input": [{"role": "user", "content": PROMPT}], "temperature": 1.0},
        "response": {
            "id": "resp_1",
            "object": "response",
            "output": [
                {"type": "reasoning", "id": "r1", "summary": [{"type": "summary_text", "text": "#### 99"}]},
                {
                    "type": "message",
                    "id": "m1",
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": completion, "annotations": []}],
                },
            ],
        },
        "expected_answer": reference,
    }
