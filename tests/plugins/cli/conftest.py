"""The fuzz suite's totals: every case records its outcome, the terminal summary prints the sums."""
import pytest

_TOTALS = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def fuzz_totals(request: pytest.FixtureRequest) -> list:
    """One dict per fuzz case run: case, clean, traceback, inputs_changed, leftovers."""
    return request.config.stash.setdefault(_TOTALS, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    outcomes = config.stash.get(_TOTALS, [])
    if not outcomes:
        return
    total = len(outcomes)
    clean = sum(o["clean"] for o in outcomes)
    tracebacks = sum(o["traceback"] for o in outcomes)
    changed = sum(o["inputs_changed"] for o in outcomes)
    left = sum(o["leftovers"] for o in outcomes)
    terminalreporter.write_line(f"fuzz: {total} cases, {clean} clean errors, {tracebacks} tracebacks, "
                                f"{changed} inputs changed, {left} leftovers")
