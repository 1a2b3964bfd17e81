"""Load, validate and render prompt templates (see the package docstring for the format)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec
import yaml
from jinja2 import StrictUndefined, TemplateRuntimeError, TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATES_DIR = Path(__file__).parent / "templates"
_SECTION = re.compile(r"^=== (system|user) ===[ \t]*$", re.MULTILINE)
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


class TemplateError(Exception):
    """A template file is malformed, or rendering it failed. Always a programming error."""


class ModelParameters(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    temperature: float = 0.2
    max_tokens: int = 1500


class TemplateHeader(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The front matter. Unknown keys are rejected so a typo cannot silently do nothing."""

    name: str
    version: str
    description: str
    mission: str
    # Names a schema the engine knows (the JSON Schema itself is generated from code).
    output_schema: str
    # Variables carrying user text: delimited data, allowed only in the user section.
    data_variables: list[str]
    # Variables the application sets (counts, mission): allowed anywhere.
    settings_variables: list[str] = []
    model: ModelParameters = msgspec.field(default_factory=ModelParameters)
    # The worked examples the system section gives, as written there: a candidate that repeats
    # them is about the prompt, not the request (small models copy them), and is dropped.
    examples: list[str] = []


class RenderedPrompt(msgspec.Struct, frozen=True):
    system: str
    user: str

    def messages(self) -> list[dict[str, str]]:
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user}]


def _environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,  # the output is a chat prompt, not HTML
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class PromptTemplate:
    def __init__(self, header: TemplateHeader, system_source: str, user_source: str, path: Path) -> None:
        self.header = header
        self.path = path
        env = _environment()
        try:
            self._system = env.from_string(system_source)
            self._user = env.from_string(user_source)
            system_vars = meta.find_undeclared_variables(env.parse(system_source))
            user_vars = meta.find_undeclared_variables(env.parse(user_source))
        except TemplateSyntaxError as exc:
            raise TemplateError(f"{path.name}: {exc}") from exc
        declared = set(header.data_variables) | set(header.settings_variables)
        if unknown := (system_vars | user_vars) - declared:
            raise TemplateError(f"{path.name}: uses undeclared variables {sorted(unknown)}")
        if leaked := system_vars & set(header.data_variables):
            raise TemplateError(f"{path.name}: user data {sorted(leaked)} must not appear in the system section")
        if unused := set(header.data_variables) - user_vars:
            raise TemplateError(f"{path.name}: data variables {sorted(unused)} are declared but never used")
        flat_system = " ".join(system_source.split())
        if stale := [e for e in header.examples if " ".join(e.split()) not in flat_system]:
            raise TemplateError(f"{path.name}: examples {stale} do not appear in the system section")

    @property
    def name(self) -> str:
        return self.header.name

    @property
    def version(self) -> str:
        return self.header.version

    @property
    def ref(self) -> str:
        """``name@version``: what responses and logs report, and part of the cache key."""
        return f"{self.header.name}@{self.header.version}"

    def render(self, **variables: Any) -> RenderedPrompt:
        expected = set(self.header.data_variables) | set(self.header.settings_variables)
        if missing := expected - variables.keys():
            raise TemplateError(f"{self.ref}: missing variables {sorted(missing)}")
        if extra := variables.keys() - expected:
            raise TemplateError(f"{self.ref}: unexpected variables {sorted(extra)}")
        safe = {
            key: (
                neutralise_delimiters(value) if key in self.header.data_variables and isinstance(value, str) else value
            )
            for key, value in variables.items()
        }
        try:
            return RenderedPrompt(system=self._system.render(**safe).strip(), user=self._user.render(**safe).strip())
        except TemplateRuntimeError as exc:  # undefined variables and sandbox violations alike
            raise TemplateError(f"{self.ref}: {exc}") from exc

    def sample_render(self) -> RenderedPrompt:
        """Render with placeholder values: proves at load time that every variable resolves."""
        values: dict[str, Any] = {name: f"sample {name}" for name in self.header.data_variables}
        values.update({name: 3 for name in self.header.settings_variables})
        return self.render(**values)


_DELIMITER_TAG = re.compile(r"<\s*(/?)\s*(request|context)\s*>", re.IGNORECASE)
# Zero-width and bidirectional-control characters can hide text from a human reviewer while
# the model still reads it; other control characters have no business in a request.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def neutralise_delimiters(text: str) -> str:
    """Strip invisible characters, and stop user text closing (or opening) its data tags."""
    text = _INVISIBLE.sub("", text)
    return _DELIMITER_TAG.sub(lambda m: f"‹{m.group(1)}{m.group(2)}›", text)


def parse_template_file(path: Path) -> PromptTemplate:
    raw = path.read_text(encoding="utf-8")
    if not raw.startswith("---\n"):
        raise TemplateError(f"{path.name}: must start with '---' front matter")
    try:
        front, body = raw[4:].split("\n---\n", 1)
    except ValueError as exc:
        raise TemplateError(f"{path.name}: front matter is not closed with '---'") from exc
    try:
        header = msgspec.convert(yaml.safe_load(front), TemplateHeader)
    except (yaml.YAMLError, msgspec.ValidationError) as exc:
        raise TemplateError(f"{path.name}: bad front matter: {exc}") from exc
    if not _NAME.match(header.name):
        raise TemplateError(f"{path.name}: name must be lowercase words joined by '-'")
    parts = _SECTION.split(body)
    # parts = [preamble, 'system', text, 'user', text]
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    if set(sections) != {"system", "user"} or len(parts) != 5 or parts[0].strip():
        raise TemplateError(f"{path.name}: needs exactly one '=== system ===' then one '=== user ===' section")
    template = PromptTemplate(header, sections["system"], sections["user"], path)
    template.sample_render()
    return template


class PromptLibrary:
    """All templates in a folder, by name; the newest version of a name wins."""

    def __init__(self, directory: Path = TEMPLATES_DIR) -> None:
        self.templates: dict[str, PromptTemplate] = {}
        for path in sorted(directory.glob("*.j2")):
            template = parse_template_file(path)
            current = self.templates.get(template.name)
            if current is None or _version_key(template.version) > _version_key(current.version):
                self.templates[template.name] = template
        if not self.templates:
            raise TemplateError(f"no templates in {directory}")

    def get(self, name: str) -> PromptTemplate:
        try:
            return self.templates[name]
        except KeyError as exc:
            raise TemplateError(f"unknown template {name!r}") from exc

    def for_mission(self, mission: str) -> PromptTemplate:
        matches = [t for t in self.templates.values() if t.header.mission == mission]
        if len(matches) != 1:
            raise TemplateError(f"expected one template for mission {mission!r}, found {len(matches)}")
        return matches[0]

    def __iter__(self):
        return iter(sorted(self.templates.values(), key=lambda t: t.name))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


@lru_cache(maxsize=1)
def default_library() -> PromptLibrary:
    return PromptLibrary()
