import pytest

from keras_medgan.core.registry import Registry


def test_register_get_and_names():
    reg = Registry("thing")

    @reg.register("b")
    def b():
        return 2

    reg.register("a", 1)
    assert reg.get("a") == 1
    assert reg.get("b")() == 2
    assert reg.names() == ["a", "b"]
    assert "a" in reg and "c" not in reg


def test_unknown_name_lists_valid_ones():
    reg = Registry("arch")
    reg.register("dcgan32", object())
    with pytest.raises(KeyError, match="Valid names: dcgan32"):
        reg.get("dcgan33")


def test_duplicate_registration_is_refused():
    reg = Registry("arch")
    reg.register("x", 1)
    with pytest.raises(ValueError):
        reg.register("x", 2)


def test_unregister_removes_and_unknown_names_are_listed():
    reg = Registry("arch")
    reg.register("x", 1)
    assert reg.unregister("x") == 1 and "x" not in reg
    with pytest.raises(KeyError, match="Unknown arch 'x'"):
        reg.unregister("x")


def test_add_registers_under_the_objects_own_name():
    from dataclasses import dataclass

    from keras_medgan.core.registry import Registry

    reg = Registry("thing")

    @reg.add
    class Family:
        NAME = "fam"

    @dataclass
    class Spec:
        name: str

    spec = reg.add(Spec("spec"))
    assert reg.get("fam") is Family and reg.get("spec") is spec
    with pytest.raises(ValueError, match="no NAME / name"):
        reg.add(object())
    with pytest.raises(ValueError, match="already registered"):
        reg.add(Spec("spec"))
