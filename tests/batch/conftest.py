"""One local Ray for the batch tests, started as the runner starts one (``ray_for_job``), with
2 CPUs: the machine is shared. Ray must start: a missing or broken Ray fails the tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="package")
def ray_cluster():
    """The address (``host:port``) of a 2-CPU Ray that lives for the batch tests."""
    import ray  # noqa: F401 - the [scale] extra is installed in CI; without it these tests fail

    from orchestria_lab.batch.runner import ray_for_job

    with ray_for_job(num_cpus=2) as address:
        yield address
