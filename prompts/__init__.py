"""Prompt templates as versioned data files, and their loader.

A template file is YAML front matter followed by two sections, ``=== system ===`` and
``=== user ===``, written in Jinja2. Templates render in Jinja2's immutable sandbox with
``StrictUndefined``: a template cannot reach Python internals, and a variable the caller
forgot is an error, never an empty string.

User text only ever enters through declared *data* variables, which may appear in the user
section alone, inside delimiters. Jinja2 never evaluates a variable's value as template
source, so ``{{ ... }}`` typed by a user stays text.
"""

from prompts.loader import (
    PromptLibrary,
    PromptTemplate,
    RenderedPrompt,
    TemplateError,
    default_library,
)

__all__ = ["PromptLibrary", "PromptTemplate", "RenderedPrompt", "TemplateError", "default_library"]
