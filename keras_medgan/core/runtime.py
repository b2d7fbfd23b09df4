"""Precision, XLA and distribution settings, by name (one place for global TF/Keras state).

* ``set_precision("auto" | "fp32" | "bf16" | "fp16")`` sets Keras's global dtype policy
  (``precision_policy`` scopes it to a ``with`` block). Call it BEFORE building models:
  layers read the policy when they are created. ``auto`` is bf16 where the hardware
  computes it fast (AVX512_BF16 / AMX CPUs, Ampere+ GPUs), else fp32
  (``resolve_precision``, which also refuses fp16 on a CPU). Every builder
  keeps its output layer float32, and ``GAN.compile`` wraps both optimizers in a
  ``LossScaleOptimizer`` under fp16 (bf16 needs no loss scaling).
* ``resolve_jit("auto" | "on" | "off")`` gives the value for ``compile(jit_compile=...)``.
  Keras turns "auto" on only with a GPU and no strategy.
* ``make_strategy("default" | "mirrored" | "multi-worker")`` builds a ``tf.distribute``
  strategy; create models, optimizers and the GAN inside ``strategy.scope()``. The GAN
  train steps divide per-replica losses by the replica count, so N replicas give the
  single-replica result for the same global batch (tested on 2 logical CPUs, and with
  MultiWorkerMirroredStrategy on two localhost worker processes; the GAN base class
  works around two Keras 3.15 reductions that failed under multi-worker).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence

import keras
import tensorflow as tf

from keras_medgan.core.errors import KerasMedganError
from keras_medgan.core.registry import Registry

PRECISIONS: Registry[str] = Registry("precision")
PRECISIONS.register("auto", "auto")  # resolve_precision() picks one on the machine at hand
PRECISIONS.register("fp32", "float32")
PRECISIONS.register("bf16", "mixed_bfloat16")
PRECISIONS.register("fp16", "mixed_float16")

JIT_MODES: Registry = Registry("jit mode")
JIT_MODES.register("auto", "auto")
JIT_MODES.register("on", True)
JIT_MODES.register("off", False)

STRATEGIES: Registry = Registry("distribution strategy")


@STRATEGIES.register("default")
def _default_strategy(devices: Sequence[str] | None = None):
    return tf.distribute.get_strategy()


@STRATEGIES.register("mirrored")
def _mirrored_strategy(devices: Sequence[str] | None = None):
    return tf.distribute.MirroredStrategy(devices=list(devices) if devices else None)


@STRATEGIES.register("multi-worker")
def _multi_worker_strategy(devices: Sequence[str] | None = None):
    # The cluster comes from TF_CONFIG, else from SLURM's job step; `devices` does not apply.
    resolver = slurm_cluster_resolver()
    if resolver is None:
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)


def slurm_cluster_resolver():
    """A ``SlurmClusterResolver`` when this process is one of several tasks of a SLURM job
    step (``srun`` with ``--ntasks`` ≥ 2) and no ``TF_CONFIG`` is set; else None.

    Workers listen on ``$KERAS_MEDGAN_PORT_BASE`` (default 8888) plus their index on the
    node. GPUs per node come from ``SLURM_GPUS_ON_NODE`` (SLURM sets it for a GPU
    allocation), and then each task sees its own share through ``CUDA_VISIBLE_DEVICES``;
    without it the tasks run on CPUs and the GPU settings are left alone. Reads
    ``os.environ``, as the resolver itself does."""

    env = os.environ
    if env.get("TF_CONFIG") or "SLURM_PROCID" not in env:
        return None
    tasks = env.get("SLURM_STEP_NUM_TASKS") or env.get("SLURM_NTASKS") or "1"
    if int(tasks) < 2:
        return None
    port_base = int(env.get("KERAS_MEDGAN_PORT_BASE", 8888))
    gpus = env.get("SLURM_GPUS_ON_NODE")
    if gpus:
        return tf.distribute.cluster_resolver.SlurmClusterResolver(
            port_base=port_base, gpus_per_node=int(gpus)
        )
    # CPU tasks: the resolver pairs every task with a GPU slot (0 GPUs gives no workers),
    # so give it one notional slot per task and leave CUDA_VISIBLE_DEVICES alone
    return tf.distribute.cluster_resolver.SlurmClusterResolver(
        port_base=port_base, gpus_per_node=int(tasks), gpus_per_task=1, auto_set_gpu=False
    )


def enable_memory_growth() -> list[str]:
    """Turn on memory growth for every visible GPU (returns their names).

    By default TensorFlow maps nearly all of a GPU's memory in the first process that
    touches it, so two study shards or GAN workers on one GPU fail with out-of-memory;
    with growth each takes what it uses. Must run before the GPUs are initialised; a
    second call, or one after initialisation, changes nothing."""
    names = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except (RuntimeError, ValueError):  # already initialised: keep what it has
            continue
        names.append(gpu.name)
    return names


def enable_op_determinism() -> None:
    """TensorFlow's op determinism, process-wide and for good (TF cannot switch it off).

    It also changes which kernels run, so the same seeded computation gives other (each
    time the same) numbers with it than without: every cell of a study must run in the
    same state, whichever cells ran before it in the process."""
    tf.config.experimental.enable_op_determinism()


def cpu_flags() -> set[str]:
    """The CPU feature flags (Linux ``/proc/cpuinfo``); empty where it cannot be read."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def gpu_compute_capability() -> tuple[int, int] | None:
    """The first visible GPU's compute capability, or None without a GPU."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    try:
        cc = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability")
    except (RuntimeError, ValueError):
        cc = None
    return tuple(cc) if cc else (0, 0)


def fast_bf16() -> tuple[bool, str]:
    """(does this machine compute bfloat16 fast?, why) -- measured, not assumed.

    On CPUs without AVX512_BF16 or AMX, TensorFlow emulates bf16 and runs several times
    slower than fp32 (tensorflow #45441, #42422); on this project's AVX512_BF16 CPU a
    dcgan32 step runs ~1.7x its fp32 speed. GPUs: Ampere (compute capability 8.0) and newer.
    """
    cc = gpu_compute_capability()
    if cc is not None:
        if cc >= (8, 0):
            return True, f"GPU compute capability {cc[0]}.{cc[1]} (Ampere or newer)"
        return False, f"GPU compute capability {cc[0]}.{cc[1]} is older than Ampere (8.0)"
    flags = cpu_flags()
    for flag, name in (("amx_bf16", "AMX-BF16"), ("avx512_bf16", "AVX512_BF16")):
        if flag in flags:
            return True, f"this CPU has {name}"
    return False, "this CPU has neither AVX512_BF16 nor AMX-BF16 (bf16 would be emulated)"


class PrecisionError(KerasMedganError, ValueError):
    """A precision this machine cannot run (fp16 on a CPU without --force)."""


def resolve_precision(name: str, force: bool = False) -> tuple[str, str]:
    """(the precision to train in, a one-line note to print). ``auto`` → bf16 where
    :func:`fast_bf16`, else fp32. ``bf16`` on slow hardware: a warning note; ``fp16`` on a
    CPU: :class:`PrecisionError` unless ``force`` (one CPU step took minutes)."""
    PRECISIONS.get(name)  # unknown → KeyError with the valid names
    if name == "auto":
        fast, why = fast_bf16()
        chosen = "bf16" if fast else "fp32"
        return chosen, f"precision: {chosen} (auto: {why}; --precision overrides)"
    if name == "bf16":
        fast, why = fast_bf16()
        if not fast:
            return name, (
                f"warning: --precision bf16 will be slow here: {why}; "
                "fp32 is faster on this machine"
            )
    if name == "fp16" and gpu_compute_capability() is None:
        if not force:
            raise PrecisionError(
                "--precision fp16 needs a GPU: float16 has no fast CPU "
                "kernels (one dcgan32 step took minutes here); use bf16 or "
                "fp32, or add --force"
            )
        return name, "warning: fp16 on a CPU (--force): expect minutes per step"
    return name, f"precision: {name}"


def resolve_classifier_precision(name: str | None) -> str | None:
    """The precision a *classifier* cell trains in (None = fp32, the policy untouched).

    ``auto`` differs from a GAN's: on a CPU it is fp32, because bf16 classifier training
    was not faster on the AMX Xeon (ResNet-50 0.57–1.04×, small_cnn 0.64–0.95× of fp32;
    experiments/results/study_cost_xeon_amx.json); on a GPU it is what ``auto`` picks for
    the GPU (bf16 on Ampere+, else fp32)."""
    if name in (None, "fp32"):
        return None
    if name == "auto":
        if gpu_compute_capability() is None:
            return None
        name = resolve_precision("auto")[0]
        return None if name == "fp32" else name
    return name


def set_precision(name: str) -> str:
    """Set the global Keras dtype policy from a short name; returns the policy name."""
    if name == "auto":
        name = resolve_precision(name)[0]
    policy = PRECISIONS.get(name)
    keras.mixed_precision.set_global_policy(policy)
    return policy


@contextlib.contextmanager
def precision_policy(name: str) -> Iterator[str]:
    """``with precision_policy("bf16"): build and train`` -- the global dtype policy set for
    the block and restored after it, whatever happens inside (it is process-global state,
    and a library call must leave it as it found it)."""
    previous = keras.mixed_precision.global_policy()
    try:
        yield set_precision(name)
    finally:
        keras.mixed_precision.set_global_policy(previous)


@contextlib.contextmanager
def grappler_options(**options: bool) -> Iterator[None]:
    """TensorFlow graph-optimizer options for the functions traced inside the block, then
    back to what they were (an option never set explicitly returns to on, its default).

    Why: the remapper's Conv2D + BiasAdd + LeakyReLU fusion fails on the C2ST probe's
    gradient graph and logs "remapper failed: … Mutation::Apply error" (TF 2.21), an
    error-level line that falls back to the unfused graph anyway; turning the pass off
    for that model keeps its result and drops the line.
    """

    before = tf.config.optimizer.get_experimental_options()
    tf.config.optimizer.set_experimental_options(dict(options))
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options({k: before.get(k, True) for k in options})


def current_precision() -> str:
    """The short name of the active global policy (``"fp32"`` for anything unknown)."""
    policy = keras.mixed_precision.global_policy().name
    for name in PRECISIONS.names():
        if name != "auto" and PRECISIONS.get(name) == policy:
            return name
    return "fp32"


def resolve_jit(mode) -> object:
    """``"auto" | "on" | "off"`` (or a bool) → value for ``compile(jit_compile=...)``."""
    if isinstance(mode, bool):
        return mode
    return JIT_MODES.get(mode)


def make_strategy(name: str = "default", devices: Sequence[str] | None = None):
    """A ``tf.distribute.Strategy`` by name; ``devices`` only for "mirrored"."""
    return STRATEGIES.get(name)(devices)
