"""Safe cancel: stop a long deployment without losing the race with its completion.

A deployment can finish between the moment it is read and the moment the cancel lands.
``cancel_deployment`` reads first, cancels only what is in progress, waits for the final
state and says what really happened:

1. a long deployment is cancelled: CANCELLED;
2. the deployment finishes while the cancel is in flight: ALREADY_SUCCEEDED, no error;
3. nothing is running any more: NOTHING_TO_CANCEL.

    python examples/safe_cancel.py
"""

from __future__ import annotations

import anyio
from _harness import Proton, environment, environment_template, minutes, parser, proton

from aioproton import models
from aioproton.workflow import cancel_deployment


async def redeploy(p: Proton, name: str) -> str:
    """Start a deployment of the environment as it is; its deployment id."""
    env = await p.client.update_environment(
        name=name, deployment_type=models.DeploymentUpdateType.CURRENT_VERSION
    )
    assert env.last_attempted_deployment_id is not None
    return env.last_attempted_deployment_id


async def cancel(p: Proton, name: str, deployment_id: str | None) -> None:
    """Cancel ``deployment_id`` (or whatever runs) safely and say how it ended."""
    started = p.clock.now()
    result = await cancel_deployment(
        p.client, environment=name, deployment_id=deployment_id, timeout=1800, clock=p.clock
    )
    print(
        f"    cancel_deployment -> {result.outcome.value} "
        f"(environment {result.status}, {minutes(p.clock.now() - started)} simulated)"
    )


async def scenario(p: Proton) -> None:
    base, prod = p.name("base"), p.name("prod")
    await environment_template(p, base)
    await environment(p, prod, base)
    print(f"environment {prod} is deployed")

    print("1. a deployment that takes an hour, cancelled five minutes in")
    await p.control.script(f"environment/{prod}", action="deploy", seconds=3600)
    deployment_id = await redeploy(p, prod)
    await p.clock.sleep(300)
    await cancel(p, prod, deployment_id)

    print("2. the race: the deployment ends on its own while the cancel is in flight")
    await p.control.script(f"environment/{prod}", action="deploy", seconds=120, cancel="too_late")
    deployment_id = await redeploy(p, prod)
    await p.clock.sleep(60)
    await cancel(p, prod, deployment_id)

    print("3. cancelling when nothing is running")
    await cancel(p, prod, None)

    await p.client.delete_environment(name=prod)
    await p.waiters().environment_deleted(prod, timeout=3600)


async def main() -> None:
    args = parser(__doc__).parse_args()
    async with proton(args) as p:
        await scenario(p)


if __name__ == "__main__":
    anyio.run(main)
