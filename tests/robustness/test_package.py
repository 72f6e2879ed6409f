import robustness


def test_public_names_are_exported():
    for name in robustness.__all__:
        assert hasattr(robustness, name), name
    assert robustness.__doc__.startswith("Robustness")
