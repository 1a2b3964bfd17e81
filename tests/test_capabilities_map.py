"""The things → capabilities map (rewriter/data/capabilities.toml) is data the engine writes
objectives from: every entry must read in the frames it fills."""

from __future__ import annotations

import pytest

from evaluators import judge_objective
from rewriter.offline import FRAMES
from rewriter.things import capabilities

MAP = capabilities()
CAPABILITIES = sorted({entry.capability for entry in MAP.values() if entry.capability})


def test_the_map_covers_hundreds_of_things_in_its_documented_shape():
    assert len(MAP) >= 500
    for key, entry in MAP.items():
        assert key == key.lower().strip() and 1 <= len(key.split()) <= 3, key
        assert len(entry.capability.removeprefix("the ").split()) <= 3, key
        assert entry.serves is None or entry.serves.split()[-1].endswith(("s", "staff", "people", "team")), key


@pytest.mark.parametrize("frame", ["supportability", "experience", "fault_free", "adoption", "task_success"])
def test_every_capability_reads_as_an_outcome_in_every_frame(frame):
    objective = FRAMES[frame].objective
    failures = []
    for capability in CAPABILITIES:
        text = objective.format(cap=capability, who="customers", Who="Customers")
        judgement = judge_objective(text)
        if judgement.kind != "outcome" or any(f.severity == "error" for f in judgement.findings):
            failures.append((text, [f.code for f in judgement.findings]))
    assert failures == []
