"""The pinned dependencies in pyproject.toml, one a line, for `pip install -r`.

    .venv/bin/python deploy/requirements.py > .venv/requirements.txt
    .venv/bin/python deploy/requirements.py s3 > .venv/requirements.txt   # media on S3

The project is an application, not a package: pip cannot install it from
pyproject.toml, only what it needs.
"""

import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def requirements(extras: list[str]) -> list[str]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    optional = project.get("optional-dependencies", {})
    unknown = [extra for extra in extras if extra not in optional]
    if unknown:
        raise SystemExit(
            f"No extra named {', '.join(unknown)} in pyproject.toml "
            f"(there are: {', '.join(optional)})."
        )
    return project["dependencies"] + [req for e in extras for req in optional[e]]


if __name__ == "__main__":
    sys.stdout.write("".join(f"{line}\n" for line in requirements(sys.argv[1:])))
