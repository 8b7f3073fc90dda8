"""Every example, run the way the README runs it: ``python examples/<name>.py``.

Each starts its own embedded emulator; one also runs against an emulator process
through ``--endpoint-url``, and the daemon is stopped with SIGTERM mid-deployment.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aioproton.emulator import defaults

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_example(name: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        cwd=REPO_ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


#: Each example and its arguments; they run side by side, once for the module.
SCENARIOS: dict[str, tuple[str, ...]] = {
    "quickstart": (),
    "idempotent_creates": (),
    "safe_cancel": (),
    "template_rollout": (),
    "template_sync": (),
    "canary_rollout": (),
    "replicated_daemon": (),
    "reconcile_daemon": ("--cycles", "4"),
    "production_logging": ("--debug",),
    "prometheus_metrics": (),
    "otel_tracing": (),
}


@pytest.fixture(scope="module")
def ran() -> Iterator[dict[str, subprocess.CompletedProcess[str]]]:
    """Every scenario, started together (most of their time is spent waiting)."""
    processes = {
        name: subprocess.Popen(
            [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
            cwd=REPO_ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in SCENARIOS.items()
    }
    try:
        results = {}
        for name, process in processes.items():
            out, err = process.communicate(timeout=90)
            results[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
        yield results
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.communicate()


def assert_ran(done: subprocess.CompletedProcess[str], *expected: str) -> list[str]:
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output, output
    lines = done.stdout.splitlines()
    for text in expected:
        assert any(text in line for line in lines), f"{text!r} not in:\n{done.stdout}"
    return lines


def test_every_example_is_tested() -> None:
    examples = {path.stem for path in EXAMPLES.glob("*.py") if not path.stem.startswith("_")}
    assert examples == set(SCENARIOS)


def test_quickstart(ran: dict[str, subprocess.CompletedProcess[str]]) -> None:
    lines = assert_ran(
        ran["quickstart"],
        "embedded emulator at http://127.0.0.1:",
        "1. environment template base 1.0: registered and published",
        "2. service template web 1.0: registered and published",
        "environment/dev  IN_PROGRESS",
        "environment/dev  SUCCEEDED",
        "backend: SUCCEEDED, template 1.0",
        "5. published web 1.1; updating instance frontend (MINOR_VERSION)",
        "frontend now runs web 1.1",
        "service/api  DELETED",
        "environment/dev  DELETED",
    )
    assert lines[-1] == "done"


def test_idempotent_creates(ran: dict[str, subprocess.CompletedProcess[str]]) -> None:
    lines = assert_ran(
        ran["idempotent_creates"],
        "result: 4 templates and 4 versions, one per logical create",
        "result: still 4 templates and 4 versions",
    )
    seen = next(line for line in lines if line.startswith("the emulator saw"))
    # Faults really happened: more requests than logical creates, some dropped after commit.
    requests = int(seen.split()[3])
    assert requests > 8, seen
    assert " 0 performed but their answer dropped" not in seen, seen


def test_safe_cancel(ran: dict[str, subprocess.CompletedProcess[str]]) -> None:
    assert_ran(
        ran["safe_cancel"],
        "cancel_deployment -> CANCELLED (environment CANCELLED",
        "cancel_deployment -> ALREADY_SUCCEEDED (environment SUCCEEDED",
        "cancel_deployment -> NOTHING_TO_CANCEL",
    )


def test_template_rollout(ran: dict[str, subprocess.CompletedProcess[str]]) -> None:
    lines = assert_ran(
        ran["template_rollout"],
        "12 service instances run web 1.0",
        "dry run: 12 instances would be updated",
        "(11 updated, 1 failed)",
        "1 updated, 11 already current, 0 failed",
    )
    failed = [line for line in lines if "FAILED" in line and "health check failed" in line]
    assert failed and all("service/api-2/service-instance/i6" in line for line in failed)


def test_template_sync(ran: dict[str, subprocess.CompletedProcess[str]]) -> None:
    lines = assert_ran(
        ran["template_sync"],
        "SYNC_SUCCEEDED: Version 1.0 registered.",
        "3 service instances run web 1.0",
        "SYNC_SUCCEEDED: Version 1.1 registered.",
        "(3 updated)",
        "SYNC_FAILED: The template bundle has no instance_infrastructure/manifest.yaml.",
    )
    updated = [line for line in lines if line.rstrip().endswith("1.0 -> 1.1     UPDATED")]
    assert len(updated) == 3


def test_canary_rollout(ran: dict[str, subprocess.CompletedProcess[str]]) -> None:
    lines = assert_ran(
        ran["canary_rollout"],
        "20 service instances run web 1.0",
        "web 1.1: 11 waves of [1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1]",
        "gate after wave 3/11 (2 items): worst error rate 25.0% -> ROLL_BACK",
        "3 updated, 2 rolled back, 15 not started",
        "service/api-1/service-instance/i03: back on 1.0",
        "20 updated, 0 rolled back, 0 not started",
        "every instance now runs web 1.2",
    )
    first = lines.index("web 1.1: 11 waves of [1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1]")
    gates = [line for line in lines[first:] if "gate after wave" in line]
    assert [line.split("->")[1].strip() for line in gates[:3]] == ["GO", "GO", "ROLL_BACK"]


def test_replicated_daemon_survives_a_killed_replica(
    ran: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    lines = assert_ran(
        ran["replicated_daemon"],
        "40 service instances run web 1.0; rolling out 1.1",
        "replica 1 finished 5 items: killing it (SIGKILL)",
        "replica 1 exited with -9",
        "replica 2 report: 40 items, stopped=None",
        "items handled by both replicas: 0",
        "instances per version: {'1.1': 40}",
        "deployments per instance during the rollout: [1]",
    )
    taken = next(line for line in lines if line.startswith("replica 2 handled "))
    assert 0 < int(taken.split()[3]) < 40, taken


def test_reconcile_daemon_runs_its_cycles(
    ran: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    lines = assert_ran(
        ran["reconcile_daemon"],
        "platform team published base 1.1",
        "environment/staging: on 1.1",
        "platform team published base 1.2",
        "environment/dev: on 1.2",
    )
    assert sum(1 for line in lines if line.startswith("cycle ")) == 4
    assert lines[-1] == "stopped cleanly"


@pytest.fixture
def daemon() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "reconcile_daemon.py"), "--deploy-seconds", "36000"],
        cwd=REPO_ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def test_reconcile_daemon_cancels_safely_on_sigterm(daemon: subprocess.Popen[str]) -> None:
    assert daemon.stdout is not None
    seen = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = daemon.stdout.readline()
        assert line, "the daemon exited early:\n" + "".join(seen)
        seen.append(line)
        if "deploying" in line:
            break
    time.sleep(0.3)  # a little way into the (ten simulated hours long) deployment

    daemon.send_signal(signal.SIGTERM)
    out, err = daemon.communicate(timeout=30)

    output = "".join(seen) + out
    assert daemon.returncode == 0, output + err
    assert "Traceback" not in err, err
    assert "received SIGTERM: stopping" in output
    assert "environment/dev: deployment cancelled safely (CANCELLED)" in output
    assert output.rstrip().endswith("stopped cleanly")


@pytest.fixture
def emulator_url() -> Iterator[str]:
    """``aioproton emulator`` in a process of its own; deployments end at once."""
    process = subprocess.Popen(
        [sys.executable, "-m", "aioproton", "emulator", "--port", "0", "--deploy-seconds", "0"],
        cwd=REPO_ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_quickstart_against_a_running_emulator(emulator_url: str) -> None:
    lines = assert_ran(
        run_example("quickstart", "--endpoint-url", emulator_url),
        f"using the emulator at {emulator_url}",
        "frontend now runs web-",
    )
    assert lines[-1] == "done"


# ---------------------------------------------------------------------- production


def test_production_logging_prints_one_json_object_per_record(
    ran: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    out = "\n".join(assert_ran(ran["production_logging"]))
    records = [json.loads(line) for line in out.splitlines()]
    assert records
    assert all(r["time"].endswith("+00:00") for r in records)
    succeeded = [
        r
        for r in records
        if r.get("waiter") == "ComponentDeployed"
        and r.get("status") == "SUCCEEDED"
        and r["level"] == "INFO"
    ]
    assert len(succeeded) == 3
    assert all(r["target_arn"].endswith(f":component/{r['target'][10:]}") for r in succeeded)
    assert all(r["deployment_id"] for r in succeeded)
    attempts = [r for r in records if r["logger"] == "aioproton.client" and "max_attempts" in r]
    assert {"CreateComponent", "GetComponent"} <= {r["operation"] for r in attempts}
    retried = [r for r in records if r["logger"] == "aioproton.client" and "delay" in r]
    assert {r["error_code"] for r in retried} >= {"ThrottlingException"}
    assert defaults.DEFAULT_SECRET_ACCESS_KEY not in out
    assert defaults.DEFAULT_ACCESS_KEY_ID not in out


def metric(out: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in out.splitlines():
        match = re.fullmatch(rf"{name}(?:{{(.*)}})? (\S+)", line)
        if match and all(f'{k}="{v}"' in (match[1] or "") for k, v in labels.items()):
            total += float(match[2])
    return total


def test_prometheus_metrics_count_attempts_throttles_latency_and_waiter_lag(
    ran: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    out = "\n".join(assert_ran(ran["prometheus_metrics"]))
    assert metric(out, "proton_attempts_total", operation="CreateComponent", outcome="ok") == 3
    assert metric(out, "proton_throttles_total") >= 1
    assert metric(out, "proton_retries_total") >= metric(out, "proton_throttles_total")
    assert metric(out, "proton_call_seconds_count", operation="CreateComponent") == 3
    assert metric(out, "proton_calls_in_flight") == 0
    assert metric(out, "proton_waiter_lag_seconds_count", waiter="ComponentDeployed") >= 3
    assert (
        metric(out, "proton_state_changes_total", waiter="ComponentDeployed", status="SUCCEEDED")
        == 3
    )


def test_otel_tracing_prints_calls_with_attempts_and_waits_with_state_changes(
    ran: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    lines = assert_ran(ran["otel_tracing"])
    start = lines.index("idempotent CreateComponent")
    assert lines[start + 1] == "  Proton.CreateComponent"
    create = lines[start : lines.index("wait ComponentDeployed")]
    assert "    Proton.CreateComponent attempt 1  [ProtonConnectionError]" in create
    wait = lines.index("wait ComponentDeployed")
    changes = [line for line in lines[wait + 1 :] if "state_change" in line][:2]
    # The example's clock runs 600x: on a loaded machine the first poll may already
    # see the deployment finished, so the IN_PROGRESS change is there only if seen.
    assert changes and "'SUCCEEDED'" in changes[-1]
    assert len(changes) == 1 or "'IN_PROGRESS'" in changes[0]
    # The seeded faults drop the create's first answer and throttle its second attempt.
    assert "    Proton.CreateComponent attempt 2  [ThrottlingError]" in create
