"""Runs the code blocks of README.md and docs/ as a reader would (Sybil parses them; tests/test_docs.py runs them).

Each page runs top to bottom in its own folder (the repository's top-level entries linked in), with
these substitutions, the only differences from what a reader types:

- the ports 8000-8003 the pages name become free ports of this machine (other tests run beside);
- `rlvr serve` runs in the background until the page ends, and the next line waits for its
  `/readyz` (a reader starts it in a terminal of its own); a later server on the same port stops it;
- the servers start one worker and no spares (`RLVR_WORKERS=1 RLVR_SPARE_WORKERS=0`: faster to start);
- `.venv/bin` comes first on PATH, as after `source .venv/bin/activate`;
- `$ECR`, `$ROLE`, `$ACCOUNT`, `$BUCKET` (and the AWS region) hold example values (`AWS_PLACEHOLDERS`);
- `pip install X` checks that X is installed (and, for `rlvr[extra]`, that the extra exists) instead
  of installing it: `make setup` has installed everything, and the tests reach no index.

A block without a language (or `json`) right after a run block is that block's expected output:
text compared exactly, JSON compared as data, where a string ending in `…` (an id made per request)
matches any string, and an expected object without `results` is compared with the only result.
Other `json`, `yaml` and `toml` blocks must parse; a block in another language fails.
`<!-- skip: next "why" -->` (Sybil's directive) leaves a block out; tests/test_docs.py lists each.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import time
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sybil import Document, Example, Region, Sybil
from sybil.parsers.markdown import SkipParser
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

from rlvr.testing.processes import free_port

ROOT = Path(__file__).resolve().parents[1]
DOC_PORTS = (8000, 8001, 8002, 8003)
BLOCK_TIMEOUT_S = 300.0
SERVER_ENV = {"RLVR_WORKERS": "1", "RLVR_SPARE_WORKERS": "0", "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
AWS_PLACEHOLDERS = {  # the names the SageMaker commands use, with example values (`--dry-run` reaches no AWS)
    "ECR": "123456789012.dkr.ecr.us-east-1.amazonaws.com",
    "ROLE": "arn:aws:iam::123456789012:role/rlvr",
    "ACCOUNT": "123456789012",
    "BUCKET": "my-bucket",
    "AWS_DEFAULT_REGION": "us-east-1",
}
PRELUDE = r"""set -eo pipefail
export PATH="$DOCS_VENV_BIN:$PATH"
docs_ready() {  # the line after `rlvr serve`: wait for its /readyz, or say why not
  for _ in $(seq 1200); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "docs test: no service ready on :$1" >&2; return 1
}
docs_pip() { python -m tests.docs_pip "$@"; }
"""


def documents() -> list[Path]:
    """Every page a user reads: README.md and docs/**/*.md."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@dataclass
class Session:
    """One page's run: its folder, its ports, its background servers and the last block's output."""

    folder: Path
    ports: dict[int, int] = field(default_factory=lambda: {p: free_port() for p in DOC_PORTS})
    groups: dict[int, int] = field(default_factory=dict)  # port -> process group of the block that serves it
    last_output: str | None = None
    last_end: int = -1

    def __post_init__(self) -> None:
        for entry in ROOT.iterdir():
            if entry.name not in {".git", "runs"} and not (self.folder / entry.name).exists():
                (self.folder / entry.name).symlink_to(entry)

    def substitute(self, text: str) -> str:
        """The page's ports 8000-8003 become this run's."""
        pattern = r"(?<=127\.0\.0\.1:)(800[0-3])\b|(?<=localhost:)(800[0-3])\b|(?<=--port )(800[0-3])\b"
        return re.sub(pattern, lambda m: str(self.ports[int(m.group(0))]), text)

    def stop(self, group: int) -> None:
        """SIGTERM to a block's processes, then SIGKILL to what is left after 10 s (the next page gets the CPU)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
            for _ in range(100):
                time.sleep(0.1)
                os.killpg(group, 0)  # raises once the whole group is gone
            os.killpg(group, signal.SIGKILL)
        self.groups = {port: g for port, g in self.groups.items() if g != group}

    def close(self) -> None:
        for group in set(self.groups.values()):
            self.stop(group)


def served_ports(line: str) -> list[int]:
    """The port of an `rlvr serve` command line (after substitution), else none."""
    if not re.search(r"(^|\s|/)rlvr serve\b", line) or line.lstrip().startswith("#"):
        return []
    port = re.search(r"--port (\d+)", line) or re.search(r"RLVR_PORT=(\d+)", line)
    return [int(port.group(1)) if port else 8000]


def shell_script(source: str) -> tuple[str, list[int]]:
    """The block as run: servers in the background and waited for, `pip install` checked, not run."""
    lines, ports = [], []
    for line in source.splitlines():
        if re.match(r"\s*pip install ", line):
            line = line.replace("pip install", "docs_pip", 1)
        for port in served_ports(line):
            code, _, comment = line.partition(" #")
            code = code.rstrip()
            line = (code if code.endswith("&") else code + " &") + (" #" + comment if comment else "")
            line += f"\ndocs_ready {port}"
            ports.append(port)
        lines.append(line)
    return PRELUDE + "\n".join(lines) + "\n", ports


def run_shell(example: Example) -> None:
    """A bash block: one `bash` in a process group of its own, in the page's folder."""
    session: Session = example.namespace["session"]
    script, ports = shell_script(session.substitute(example.parsed))
    for port in ports:  # a reader stops the server on that port before starting another there
        if port in session.groups:
            session.stop(session.groups[port])
    out, err = (session.folder / f".block{example.line}.{name}" for name in ("out", "err"))
    env = {
        **os.environ,
        **SERVER_ENV,
        **AWS_PLACEHOLDERS,
        "DOCS_VENV_BIN": str(ROOT / ".venv" / "bin"),
        "PYTHONPATH": str(ROOT),
    }
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(
            ["bash", "-c", script], cwd=session.folder, env=env, stdout=stdout, stderr=stderr, start_new_session=True
        )
        session.groups.update(dict.fromkeys(ports, proc.pid))
        try:
            code = proc.wait(timeout=BLOCK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            session.stop(proc.pid)
            code = -1
    if not ports:  # nothing it started outlives it
        session.stop(proc.pid)
    if code != 0:
        raise AssertionError(failure(example, f"exit status {code}", stdout=out.read_text(), stderr=err.read_text()))
    session.last_output, session.last_end = out.read_text(), example.end


def run_python(example: Example) -> None:
    """A python block: run in the page's namespace (blocks of one page share it), its prints captured."""
    session: Session = example.namespace["session"]
    source = "\n" * (example.line) + session.substitute(example.parsed)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.chdir(session.folder):
        exec(compile(source, str(example.path), "exec"), example.namespace)  # the page's own code
    session.last_output, session.last_end = printed.getvalue(), example.end


def check_output(example: Example, language: str) -> None:
    """An output block: compared with the run block right before it, else only parsed."""
    session: Session = example.namespace["session"]
    between = example.document.text[session.last_end : example.start] if session.last_end >= 0 else "x"
    expected: str = example.parsed
    if between.strip() or session.last_output is None:
        if language == "json":
            json.loads(expected)
        return
    actual, session.last_output = session.last_output, None
    if language == "json":
        if not json_matches(json.loads(expected), json.loads(actual)):
            raise AssertionError(failure(example, "output differs from this block", output=actual))
    elif actual.rstrip().splitlines() != expected.rstrip().splitlines():
        raise AssertionError(failure(example, "output differs from this block", output=actual))


def json_matches(expected: Any, actual: Any) -> bool:
    """Data equality, where a string ending in `…` is any string and a lone result stands for its response."""
    if isinstance(expected, dict) and "results" not in expected and isinstance(actual, dict) and "results" in actual:
        return len(actual["results"]) == 1 and json_matches(expected, actual["results"][0])
    if isinstance(expected, str) and expected.endswith("…"):  # an id that differs on every run
        return isinstance(actual, str)
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(json_matches(v, actual[k]) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(map(json_matches, expected, actual))
    return bool(expected == actual)


def failure(example: Example, what: str, **parts: str) -> str:
    shown = "".join(f"--- {name} ---\n{text[-3000:].rstrip()}\n" for name, text in parts.items())
    return f"{example.path}:{example.line}: {what}\n--- block ---\n{example.parsed}{shown}"


def evaluate_block(example: Example) -> None:
    language = example.region.lexemes["language"]
    if language == "bash":
        run_shell(example)
    elif language == "python":
        run_python(example)
    elif language in ("", "text", "json"):
        check_output(example, language)
    elif language == "yaml":
        yaml.safe_load(example.parsed)
    elif language == "toml":
        tomllib.loads(example.parsed)
    else:
        raise AssertionError(f"{example.path}:{example.line}: no runner for ```{language}; add one or a skip directive")


class BlockParser:
    """Every fenced block, whatever its language, evaluated by `evaluate_block`."""

    lexer = FencedCodeBlockLexer(language=r"[\w-]*")

    def __call__(self, document: Document) -> Iterable[Region]:
        for lexed in self.lexer(document):
            yield Region(lexed.start, lexed.end, lexed.lexemes["source"], evaluate_block, lexed.lexemes)


SYBIL = Sybil(parsers=[SkipParser(), BlockParser()])


@contextlib.contextmanager
def page_session(path: Path, folder: Path) -> Iterator[tuple[Document, Session]]:
    """The parsed page and its session; the page's servers are stopped afterwards, whatever happened."""
    document = SYBIL.parse(path)
    session = Session(folder)
    document.namespace["session"] = session
    try:
        yield document, session
    finally:
        session.close()
