"""The documentation keeps up with the code: every setting read from the
environment is in the configuration reference, and every link between the
README and docs/ leads somewhere."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Read by the settings' env helpers: env_str("NAME", …), env_bool("NAME"…), …
ENV_READ = re.compile(r"\benv(?:_[a-z]+)?\(\s*\"([A-Z][A-Z0-9_]+)\"")
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {
        slug(line.lstrip("#"))
        for line in path.read_text().splitlines()
        if re.match(r"#{1,6} ", line)
    }


def test_every_environment_variable_the_settings_read_is_in_the_configuration_reference():
    names = set()
    for module in (ROOT / "newsroom").glob("*.py"):
        names |= set(ENV_READ.findall(module.read_text()))
    reference = (ROOT / "docs" / "configuration.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in reference)
    assert names, "no env_*() calls found: the pattern no longer matches settings.py"
    assert missing == []


def test_every_relative_link_in_the_readme_and_docs_leads_to_a_file_and_heading():
    broken = []
    for doc in DOCS:
        for target, fragment in LINK.findall(doc.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            path = (doc.parent / target).resolve()
            if not path.exists():
                broken.append(f"{doc.name}: {target}")
            elif (
                fragment and path.suffix == ".md" and fragment[1:] not in anchors(path)
            ):
                broken.append(f"{doc.name}: {target}{fragment}")
    assert broken == []
