"""The README stays true: two commands first, every setting documented."""

from app.config import ROOT, Settings

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip() and line != "sh"]
    assert commands == ["make run", "make test"]


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`DOORBRAAK_{name.upper()}`" in README, f"DOORBRAAK_{name.upper()} is missing from the README"
