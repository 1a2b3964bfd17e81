"""Answer the blind rating set with the offline engine (issue 12: "A blind rating").

    .venv/bin/python -m bench.rating.answer bench/rating/requests-round1.jsonl bench/rating/answers-round1.jsonl

Each line of the output holds the request and what a user of `make run` sees for it: the
top candidate (objective, problem statement, hypothesis, key results), or none, with the
notice and the questions. Raters read only this file and the rubric, never the engine.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from rewriter.domain import RewriteSpec
from rewriter.offline import OfflineEngine
from rewriter.pipeline import RewritePipeline

REPO = Path(__file__).resolve().parents[2]


async def answer(rows: list[dict]) -> list[dict]:
    pipeline = RewritePipeline(OfflineEngine())
    answers = []
    for row in rows:
        result = await pipeline.rewrite(RewriteSpec(request=row["request"], context=row.get("context") or None))
        top = result.candidates[0] if result.candidates else None
        answers.append(
            {
                "id": row["id"],
                "kind": row.get("kind"),
                "request": row["request"],
                "context": row.get("context") or "",
                "objective": top.objective if top else None,
                "problem_statement": top.problem_statement if top else None,
                "hypothesis": top.hypothesis if top else None,
                "key_results": [kr.text for kr in top.key_results] if top else [],
                "notice": result.notice,
                "questions": result.questions,
            }
        )
    return answers


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    answers = asyncio.run(answer(rows))
    target.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers), encoding="utf-8")
    print(f"{len(answers)} answers, {sum(a['objective'] is not None for a in answers)} with a candidate → {target}")


if __name__ == "__main__":
    main()
