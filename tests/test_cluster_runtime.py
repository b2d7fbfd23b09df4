"""GPU hygiene and the SLURM multi-worker cluster (issue #30), on a CPU machine: the
resolver is built from a simulated SLURM job step, memory growth from fake devices."""

import pytest

from keras_medgan.core import runtime

SLURM_STEP = {
    "SLURM_PROCID": "1",
    "SLURM_STEP_NUM_TASKS": "2",
    "SLURM_NTASKS": "2",
    "SLURM_STEP_NODELIST": "localhost",
    "SLURM_STEP_TASKS_PER_NODE": "2",
    "SLURM_JOB_ID": "42",
}


@pytest.fixture
def slurm_env(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    for key in ("SLURM_GPUS_ON_NODE", "KERAS_MEDGAN_PORT_BASE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in SLURM_STEP.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


def test_a_two_task_slurm_step_gives_a_two_worker_cluster(slurm_env):
    slurm_env.setenv("KERAS_MEDGAN_PORT_BASE", "23450")
    resolver = runtime.slurm_cluster_resolver()
    assert resolver is not None
    spec = resolver.cluster_spec().as_dict()
    assert spec == {"worker": ["localhost:23450", "localhost:23451"]}
    assert (resolver.task_type, resolver.task_id) == ("worker", 1)


@pytest.mark.parametrize(
    "change",
    [
        {"TF_CONFIG": '{"cluster": {}}'},
        {"SLURM_STEP_NUM_TASKS": "1", "SLURM_NTASKS": "1"},
        {"SLURM_PROCID": None},
    ],
)
def test_no_slurm_cluster_with_tf_config_one_task_or_outside_slurm(slurm_env, change):
    for key, value in change.items():
        if value is None:
            slurm_env.delenv(key)
        else:
            slurm_env.setenv(key, value)
    assert runtime.slurm_cluster_resolver() is None


def test_memory_growth_is_set_on_every_gpu_and_survives_an_initialised_one(monkeypatch):
    class Device:
        def __init__(self, name):
            self.name = name

    calls = []

    def set_growth(device, on):
        if device.name.endswith(":1"):
            raise RuntimeError("Physical devices cannot be modified after being initialized")
        calls.append((device.name, on))

    monkeypatch.setattr(
        runtime.tf.config,
        "list_physical_devices",
        lambda kind=None: [Device("/physical_device:GPU:0"), Device("/physical_device:GPU:1")],
    )
    monkeypatch.setattr(runtime.tf.config.experimental, "set_memory_growth", set_growth)
    assert runtime.enable_memory_growth() == ["/physical_device:GPU:0"]
    assert calls == [("/physical_device:GPU:0", True)]


def test_two_nodes_one_task_each_give_one_worker_per_node(slurm_env):
    slurm_env.setenv("SLURM_STEP_NODELIST", "gpu[01-02]")
    slurm_env.setenv("SLURM_STEP_TASKS_PER_NODE", "1(x2)")
    resolver = runtime.slurm_cluster_resolver()
    assert resolver.cluster_spec().as_dict() == {"worker": ["gpu01:8888", "gpu02:8888"]}
    assert resolver.task_id == 1
