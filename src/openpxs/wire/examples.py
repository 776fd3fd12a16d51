"""The request and reply examples of the API reference.

They live as sequences of calls in ``openpxs/api/examples/*.yaml``, each sequence a story
told against the demo merchants from a fresh installation (sell a card, then spend it;
enroll a guest, sign in, use the token). tests/api/test_examples.py runs every sequence
and fails when a reply differs from the one recorded, so the examples cannot rot.

In a recorded reply, ``"{{name}}"`` stands for a value that differs from one run to the
next (an id, a token, a time); the value is remembered under that name, and a later
request's ``"{{name}}"`` is replaced by it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
CREDENTIALS = {
    "pos": ("demo-pos", "demo-pos-secret"),
    "app": ("demo-app", "demo-app-secret"),
}


@dataclass
class Step:
    """One call of a sequence, or (take_code) reading a code the server sent the guest."""

    sequence: str
    index: int
    title: str
    method: str = ""
    path: str = ""
    caller: str = "pos"
    request: dict[str, Any] = field(default_factory=dict)
    reply: Any = None
    status: int = 200
    save: dict[str, str] = field(default_factory=dict)
    take_code: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.sequence}-{self.index}"

    def as_data(self) -> dict[str, Any]:
        """The step as it is written in its file."""
        if self.take_code:
            return {"title": self.title, "take_code": self.take_code}
        data: dict[str, Any] = {"title": self.title, "call": f"{self.method} {self.path}"}
        if self.caller != "pos":
            data["as"] = self.caller
        data["request"] = self.request
        if self.save:
            data["save"] = self.save
        if self.status != 200:
            data["status"] = self.status
        data["reply"] = self.reply
        return data


@dataclass
class Sequence:
    name: str
    title: str
    about: str
    steps: list[Step]

    def as_data(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "about": self.about,
            "steps": [step.as_data() for step in self.steps],
        }


def parse(name: str, data: dict[str, Any]) -> Sequence:
    steps = []
    for index, raw in enumerate(data.get("steps") or [], start=1):
        step = Step(sequence=name, index=index, title=str(raw["title"]))
        if "take_code" in raw:
            step.take_code = dict(raw["take_code"])
        else:
            step.method, step.path = str(raw["call"]).split(" ", 1)
            step.caller = str(raw.get("as", "pos"))
            step.request = dict(raw.get("request") or {})
            step.reply = raw.get("reply")
            step.status = int(raw.get("status", 200))
            step.save = dict(raw.get("save") or {})
        steps.append(step)
    return Sequence(name, str(data.get("title", name)), str(data.get("about", "")), steps)


def example_files() -> dict[str, str]:
    """Every sequence file's name and text."""
    folder = files("openpxs.api").joinpath("examples")
    return {
        item.name.removesuffix(".yaml"): item.read_text(encoding="utf-8")
        for item in sorted(folder.iterdir(), key=lambda i: i.name)
        if item.name.endswith(".yaml")
    }


@cache
def sequences() -> tuple[Sequence, ...]:
    return tuple(parse(name, yaml.safe_load(text) or {}) for name, text in example_files().items())


def examples_of(method: str, path: str) -> list[Step]:
    """The recorded calls of one operation, in the order the sequences tell them."""
    return [
        step
        for sequence in sequences()
        for step in sequence.steps
        if step.method == method and step.path == path and step.reply is not None
    ]
