import keras
import pytest


@pytest.fixture
def fp32_policy():
    """Restore the process-global dtype policy after a test that changes it."""
    previous = keras.mixed_precision.global_policy()
    yield
    keras.mixed_precision.set_global_policy(previous)
