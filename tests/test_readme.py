"""README's Python examples run and print what the README says."""

import doctest


def test_readme_examples(repo_root):
    result = doctest.testfile(str(repo_root / "README.md"), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5
    assert result.failed == 0
