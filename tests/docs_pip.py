"""`pip install X` as the docs tests run it: X must be installed already (`make setup`), and an extra exist.

python -m tests.docs_pip 'rlvr[aws]' trl
"""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def problems(arguments: list[str]) -> list[str]:
    """What a reader's `pip install` would give that this environment does not have."""
    extras = set(tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"])
    found = []
    for argument in (a for a in arguments if not a.startswith("-")):
        requirement = Requirement(argument)
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            found.append(f"{requirement.name} is not installed (make setup installs what the docs name)")
            continue
        if installed not in requirement.specifier:
            found.append(f"{requirement.name} {installed} does not satisfy {requirement}")
        if requirement.name == "rlvr" and not requirement.extras <= extras:
            found.append(
                f"rlvr has no extra {sorted(requirement.extras - extras)}; pyproject.toml has {sorted(extras)}"
            )
    return found


if __name__ == "__main__":
    errors = problems(sys.argv[1:])
    for error in errors:
        sys.stderr.write(f"docs test: pip install {' '.join(sys.argv[1:])}: {error}\n")
    sys.exit(1 if errors else 0)
