"""The `code` verifier in-process: the three reference kinds, flags, extraction, bad references.

docs/verifiers/code.md is the specification; each row says which rule it checks, and the page's
own examples are run as they are written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rlvr.services.verifiers.code import harness
from rlvr.services.verifiers.code.extract import extract_program
from rlvr.services.verifiers.code.judge import judge
from rlvr.services.verifiers.code.reference import parse_reference
from tests.code_cases import CALL, CHECK, STDIO, sandbox_processes

ONE_CALL = json.dumps({"fn_name": "add", "tests": [{"args": [1, 1], "expected": 2}]})
ADD_STDIO = "a,b=map(int,input().split())\nprint(a+b)"
ONE_FLOAT = json.dumps({"fn_name": "add", "tests": [{"args": [1, 1], "expected": 1.5}]})
ONE_MILLION = json.dumps({"fn_name": "add", "tests": [{"args": [1, 1], "expected": 1000000}]})
BIG_INT = json.dumps({"tests": [{"stdin": "", "stdout": f"{pow(2, 20000, 1000)}\n6021"}]})  # 2**20000 has 6,021 digits
HISTOGRAM = json.dumps(
    {
        "entry_point": "hist",
        "test": "def check(candidate):\n    assert candidate('a b a') == {'a': 2, 'b': 1}\n"
        "    assert candidate('') == {}\n",
    }
)
PAIR = json.dumps({"entry_point": "pair", "test": "def check(candidate):\n    assert candidate() == (1, 2)\n"})

KINDS = [
    # (completion, reference, correctness, answer, flags)
    (ADD_STDIO, STDIO, 1.0, "2/2", ()),  # stdin/stdout, no fence: the completion is the program
    (f"Sure:\n```python\n{ADD_STDIO}   \n\n\n```", STDIO, 1.0, "2/2", ()),  # fenced; trailing whitespace stripped
    ("```py\na,b=map(int,input().split())\nprint(a-b)\n```", STDIO, 0.0, "0/2", ("wrong_answer",)),  # wrong output
    (
        f"{ADD_STDIO}\nraise ValueError",
        STDIO,
        0.0,
        "0/2",
        ("runtime_error",),
    ),  # output, then a crash
    ("import sys\nsys.exit(0)", STDIO, 0.0, "0/2", ("wrong_answer",)),  # exit 0 alone never passes
    ("def add(a, b):\n    return a + b", CALL, 1.0, "3/3", ()),  # function call: floats within 1e-6, lists
    (
        "def add(a, b):\n    return tuple(a + b) if isinstance(a, list) else a + b",
        CALL,
        1.0,
        "3/3",
        (),
    ),  # tuple == list
    ("def add(a, b):\n    return a - b", CALL, 0.0, "0/3", ("runtime_error", "wrong_answer")),  # list - list raises
    ("def add(a, b):\n    return float(a + b)", ONE_CALL, 1.0, "1/1", ()),  # 2.0 equals 2
    ("def add(a, b):\n    return a + b", CHECK, 1.0, "1/1", ()),  # check code, a whole program
    ("    return a + b\n", CHECK, 1.0, "1/1", ()),  # check code, continuing the prelude (base model)
    ("def add(a, b):\n    return int(math.floor(a)) + b", CHECK, 1.0, "1/1", ()),  # the prelude's imports in force
    ("def add(a, b):\n    return a * b", CHECK, 0.0, "0/1", ("wrong_answer",)),  # a failed assertion
    ("def add(a, b)\n    return a + b", CHECK, 0.0, "0/1", ("syntax_error",)),  # does not compile: format 0
    ("   \n", CHECK, 0.0, "0/1", ("no_program",)),  # blank completion: no program, format 0
    ("```bash\nls\n```", CHECK, 0.0, "0/1", ("no_program",)),  # only a block in another language
    ("import time\ndef add(a, b):\n    time.sleep(5)\n    return a + b", CHECK, 0.0, "0/1", ("time_limit",)),
    (
        "def add(a, b):\n    return a + b\nif __name__ == '__main__':\n    input()",
        CHECK,
        1.0,
        "1/1",
        (),
    ),  # a demo block
    (
        "def add(a, b):\n    return 10**400",
        ONE_FLOAT,
        0.0,
        "0/1",
        ("wrong_answer",),
    ),  # too big for a float: 0, not error
    (
        "def add(a, b):\n    v = []\n    for _ in range(3000): v = [v]\n    return v",
        ONE_FLOAT,
        0.0,
        "0/1",
        ("runtime_error",),
    ),  # too deep to send back: 0, not error
    ("def add(a, b):\n    return 999999.0", ONE_MILLION, 0.0, "0/1", ("wrong_answer",)),  # an integer answer is exact
    ("def add(a, b):\n    return 1000000.0", ONE_MILLION, 1.0, "1/1", ()),  # ... and 1e6 == 1000000
    ("def add(a, b):\n    return 10**6 - 1 + sum([0.1] * 10)", ONE_MILLION, 1.0, "1/1", ()),  # float noise is no error
    ("print(2 ** 20000 % 1000)\nprint(len(str(2 ** 20000)))", BIG_INT, 1.0, "1/1", ()),  # no 4300-digit limit
]


KINDS += [
    # plain-data subclasses cross to the checker as the plain type (defaultdict, namedtuple)
    ("import collections\ndef hist(s):\n    d = collections.defaultdict(int)\n    for w in s.split():\n"
     "        d[w] += 1\n    return d", HISTOGRAM, 1.0, "1/1", ()),
    ("import collections\nP = collections.namedtuple('P', 'x y')\ndef pair():\n    return P(1, 2)", PAIR, 1.0, "1/1",
     ()),
]  # fmt: skip


@pytest.mark.parametrize(("completion", "reference", "correctness", "answer", "flags"), KINDS)
def test_kinds(code_verifier, completion, reference, correctness, answer, flags):
    verdict = code_verifier.score(completion, reference)
    assert (verdict.components["correctness"], verdict.answer, verdict.flags) == (correctness, answer, flags)
    assert verdict.components["format"] == (0.0 if set(flags) & {"no_program", "syntax_error"} else 0.5)
    assert sandbox_processes() == []


OK7 = json.dumps({"tests": [{"stdin": "", "stdout": "7"}]})
OK7_64MB = json.dumps({"tests": [{"stdin": "", "stdout": "7"}], "memory_mb": 64})
CHECK_64MB = json.dumps({**json.loads(CHECK), "memory_mb": 64})
FILL_MEMORY = "s = []\nwhile True: s.append(' ' * (1 << 20))"

NOT_THE_PROGRAMS_CHOICE = [
    # (completion, reference, correctness, flags): the runner's verdicts never come from an exit
    # status, a signal or anything the program prints (issue 20.7); what the runner saw still counts
    ("import sys\nprint(7)\nsys.exit(3)", OK7, 0.0, ("runtime_error",)),  # status 3 was memory_limit
    ("import sys\nprint(7)\nsys.exit(2)", OK7, 0.0, ("runtime_error",)),  # status 2 was syntax_error
    ("print(7)\neval('1+')", OK7, 0.0, ("runtime_error",)),  # a SyntaxError at run time is its own error
    ("print(7)\nraise MemoryError", OK7, 0.0, ("runtime_error",)),  # a MemoryError that used no memory
    ("import os, signal\nprint(7, flush=True)\nos.kill(os.getpid(), signal.SIGXCPU)", OK7, 0.0, ("runtime_error",)),
    ("import sys\nprint(7)\nsys.stderr.write('MemoryError')", OK7, 1.0, ()),  # a word on stderr is no verdict
    ("import sys\nsys.stderr.write('MemoryError')\ndef add(a, b):\n    return a + b", CHECK, 1.0, ()),
    ("import sys\nsys.exit(4)\ndef add(a, b):\n    return a + b", CHECK, 0.0, ("runtime_error",)),
    ("import sys\ndef add(a, b):\n    sys.exit(3)", ONE_CALL, 0.0, ("runtime_error",)),
    (f"print(7)\n{FILL_MEMORY}", OK7_64MB, 0.0, ("memory_limit",)),  # it did use its memory
    (f"{FILL_MEMORY}\ndef add(a, b):\n    return a + b", CHECK_64MB, 0.0, ("memory_limit",)),
]


@pytest.mark.parametrize(("completion", "reference", "correctness", "flags"), NOT_THE_PROGRAMS_CHOICE)
def test_the_program_cannot_choose_its_verdict(code_verifier, completion, reference, correctness, flags):
    verdict = code_verifier.score(completion, reference)
    assert (verdict.components["correctness"], verdict.flags) == (correctness, flags)


def test_a_program_that_does_not_compile_runs_no_test(code_verifier):
    # the runner compiles before running anything (the verifier compiles first too: this is the runner)
    result = harness.run("def (", parse_reference(STDIO))
    assert [t.status for t in result.tests] == ["syntax_error", "syntax_error"]


CHECK_10S = json.dumps({**json.loads(CHECK), "time_limit_s": 10})
ADD = "def add(a, b):\n    return a + b"

TOO_MUCH_OUTPUT = [
    # (completion, reference): more than 1 MiB of stdout ends the test with output_limit, every kind (issue 20.8)
    (f"import sys\nfor _ in range(1 << 14):\n    sys.stdout.write('x' * 65536)\n{ADD}", CHECK_10S),  # 1 GiB
    (f"import sys\nsys.stdout.write('x' * (2 << 20))\n{ADD}", CHECK),
    ("def add(a, b):\n    print('x' * (2 << 20))\n    return a + b", CHECK),  # printed while the check calls it
    ("def add(a, b):\n    print('x' * (2 << 20))\n    return a + b", ONE_CALL),
    ("import sys\nsys.stdout.write('x' * (2 << 20))\nprint(7)", OK7),
]


@pytest.mark.parametrize(("completion", "reference"), TOO_MUCH_OUTPUT)
def test_more_than_1_mib_of_output_is_output_limit_for_every_kind(code_verifier, completion, reference):
    verdict = code_verifier.score(completion, reference)
    assert (verdict.components, verdict.flags) == ({"format": 0.5, "correctness": 0.0}, ("output_limit",))


def test_exactly_1_mib_of_output_is_allowed(code_verifier):
    verdict = code_verifier.score(f"import sys\nsys.stdout.write('x' * (1 << 20))\n{ADD}", CHECK)
    assert verdict.components["correctness"] == 1.0, verdict


EXTRACT = [
    # (completion, program)
    ("a\n```\nx=1\n```\nb\n```py\ny=2\n```\n```bash\nls\n```", "y=2\n"),  # last python block; bash skipped
    ("print(1)", "print(1)"),  # no fence: the completion itself
    ("use ``` inline, then print(2)", "use ``` inline, then print(2)"),  # ``` inside a line is no fence
    ("```python\nprint(3)\n", "print(3)\n"),  # an unclosed last fence runs to the end
    ("", None),  # empty
    ("```python\n   \n```", None),  # a blank block
    ("Here:\r\n```python\r\nprint(4)\r\n```\r\n", "print(4)\n"),  # Windows line endings
    ("1. Code:\n   ```python\n   x = 1\n   print(x)\n   ```\n", "x = 1\nprint(x)\n"),  # a fence in a list item
    ("````python\nprint(5)\n`````\n", "print(5)\n"),  # closed by a longer fence
    ('```python title="main.py"\nprint(6)\n```', "print(6)\n"),  # the info string's first word is the language
    ("```python:main.py\nprint(7)\n```", "print(7)\n"),
]


@pytest.mark.parametrize(("completion", "program"), EXTRACT)
def test_extract(completion, program):
    assert extract_program(completion) == program


BAD_REFERENCES = [
    # (reference, what the message names)
    ("not json", "not valid JSON"),
    ("[]", "JSON object"),
    ("{}", "must have"),
    ('{"tests": []}', "non-empty list"),
    ('{"tests": [{"stdin": 1, "stdout": "x"}]}', "must be strings"),
    ('{"fn_name": "1x", "tests": [{"args": [], "expected": 1}]}', "identifier"),
    ('{"fn_name": "f", "tests": [{"args": 1, "expected": 1}]}', "JSON array"),
    ('{"entry_point": "f", "test": "def check(:"}', "does not compile"),
    ('{"entry_point": "f", "test": "def check(c): pass", "time_limit_s": 11}', "time_limit_s"),
    ('{"entry_point": "f", "test": "def check(c): pass", "memory_mb": 4096}', "memory_mb"),
    (json.dumps({"tests": [{"stdin": "", "stdout": ""}] * 61, "time_limit_s": 1}), "at most 60"),
    ('{"tests": [{"stdin": "\\ud800", "stdout": ""}]}', "unpaired surrogate"),
    ('{"entry_point": "f", "test": "assert True  # check"}', "must define check"),
    (json.dumps({"entry_point": "f", "test": "def check(c): pass\n" + "#" * (1 << 20)}), "the limit is"),
]


@pytest.mark.parametrize("value", ["[" * 200_000, "1e999999", "-" * 5])
def test_a_value_the_service_cannot_compare_is_a_wrong_answer(value):
    # a program can write anything to its value pipe: deep, huge or broken JSON is a 0, never our error
    row = {"exit": 0, "wall": 0.1, "value": value}
    assert judge(row, parse_reference(ONE_FLOAT), 0).status == "wrong_answer"


def test_buffered_stdin_reads_large_inputs_fast(code_verifier):
    # the competitive-programming idiom: sys.stdin.buffer.readline over 200,000 lines (~1.3 MB)
    n = 200_000
    reference = json.dumps({"tests": [{"stdin": f"{n}\n" + "5\n" * n, "stdout": str(5 * n)}], "time_limit_s": 5})
    program = (
        "import sys\ninput = sys.stdin.buffer.readline\nn = int(input())\nprint(sum(int(input()) for _ in range(n)))"
    )
    assert code_verifier.score(program, reference).components["correctness"] == 1.0


@pytest.mark.parametrize(("reference", "message"), BAD_REFERENCES)
def test_bad_reference_is_an_error_naming_the_problem(code_verifier, reference, message):
    with pytest.raises(ValueError, match=message):
        code_verifier.score("print(1)", reference)


def test_item_budget_covers_the_references_limits(code_verifier):
    # 3 tests x 2 s each, plus margins: the pool waits at least this long for the item
    budget = code_verifier.item_budget_s(CALL)
    assert budget is not None and budget >= 3 * 2
    assert code_verifier.item_budget_s("not json") is None
    assert parse_reference(CHECK).n_tests == 1


def test_dedup_key_is_the_program(code_verifier):
    # the same program in different prose is one run; a different program is another
    assert code_verifier.dedup_key("Here:\n```python\nx=1\n```") == code_verifier.dedup_key(
        "Answer\n```python\nx=1\n```"
    )
    assert code_verifier.dedup_key("x=1") != code_verifier.dedup_key("x=2")


RULES = Path(__file__).resolve().parents[1] / "docs" / "verifiers" / "code.md"


@pytest.mark.parametrize("example", re.findall(r"^```python\n(.*?)^```$", RULES.read_text(), re.S | re.M))
def test_the_examples_of_the_rules_page_hold(code_verifier, capsys, example):
    # each example prints verdicts; the comment under each print is what it must print
    expected = [line.removeprefix("# ") for line in example.splitlines() if line.startswith("# Verdict(")]
    exec(compile(example, str(RULES), "exec"), {})
    assert expected and capsys.readouterr().out.splitlines() == expected
