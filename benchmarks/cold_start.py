"""Child process of ``benchmarks/run.py``: one cold start, measured from the top of this file.

``python benchmarks/cold_start.py skill|hello|knowledge EVENT_JSON`` prints one JSON line:
- skill / hello: ``import_ns`` (import the Lambda handler module: skill, SDK, boto3, adapter, knowledge as each
  does) and ``first_ns`` (its first ``lambda_handler`` call on EVENT), and ``since_top_ns`` (both, plus this
  driver's own imports). Interpreter start-up happens before this file runs: the parent times the whole process.
- knowledge: ``import_ns`` (``triage.knowledge``) and ``load_ns`` (the first ``load_knowledge()``).
The project must be importable (installed in .venv by bin/_env.sh; ``benchmarks/run.py`` passes PYTHONPATH on).
"""

import time

TOP = time.perf_counter_ns()

import json  # noqa: E402
import sys  # noqa: E402


def main() -> None:
    target = sys.argv[1]
    out: dict[str, object] = {}
    if target == "knowledge":
        t0 = time.perf_counter_ns()
        from triage.knowledge import load_knowledge

        t1 = time.perf_counter_ns()
        kb = load_knowledge()
        t2 = time.perf_counter_ns()
        out = {"import_ns": t1 - t0, "load_ns": t2 - t1, "questions": len(kb.questions)}
    else:
        event = json.loads(sys.argv[2])
        t0 = time.perf_counter_ns()
        if target == "skill":
            import lambda_function as module
        elif target == "hello":
            import hello_skill as module
        else:
            raise SystemExit(f"unknown target {target!r}")
        t1 = time.perf_counter_ns()
        reply = module.lambda_handler(event, None)
        t2 = time.perf_counter_ns()
        speech = (reply.get("response") or {}).get("outputSpeech") or {}
        if not speech.get("ssml"):
            raise SystemExit(f"{target}: no speech in the first response")
        out = {"import_ns": t1 - t0, "first_ns": t2 - t1, "since_top_ns": t2 - TOP}
    print(json.dumps(out))


main()
