"""The CLI tests' one way to count checks (console_test.py, gdb_test.py, stats_test.py):
check() records a pass or prints the failure, and result() prints the tally and gives the
process's exit status."""

failures = []
passed = 0


def check(name, ok, detail=""):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(name)
        print(f"FAIL: {name}{': ' + detail if detail else ''}", flush=True)


def result(title):
    """Prints '<title>: N passed, M failed' and returns 1 if anything failed, else 0."""
    print(f"{title}: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0
