#!/usr/bin/env python3
"""kvm-unit-tests' i386 suite on prevt and on QEMU TCG (docs/kvm-unit-tests.md).

Each [section] of the suite's unittests.cfg is one test: its .flat file, run with the QEMU
parameters the section gives (qemu_params, test_args as -append, smp, timeout), mapped to
prevt's command line; what prevt cannot map is refused with the reason (a skip).

  run.py one ENGINE SECTION --prevt PREVT --guests DIR [--expect FILE]
      ENGINE: qemu | bt | trap | kvm. Exit 0 when it passes and expected.txt records nothing
      else for (SECTION, ENGINE); 77 (a ctest skip, with the reason printed) when the outcome
      is the failure, skip or refusal expected.txt records (a recorded timeout is not even run
      unless KUT_RUN_ALL=1), or QEMU is missing; 1 when the outcome differs from the record (a
      regression, or a recorded failure that passes now: then update the record).
  run.py table --prevt PREVT --guests DIR [--engines qemu,bt,trap,kvm]
      Runs every i386 section on each engine and prints the Markdown table.
  run.py sections --guests DIR
      The i386 sections whose .flat is there (for CMake).

Outcomes: pass (isa-debug-exit status 1: "SUMMARY: N tests" with no failure), fail (status 3:
unexpected failures), skip (status 77: the suite skipped itself), timeout, crash (any other
status: prevt's own error, a triple fault, a host signal), refused (parameters prevt cannot
honour).
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys

DEFAULT_TIMEOUT = 90  # kvm-unit-tests' own default (scripts/runtime.bash)


def parse_cfg(path):
    sections, current = {}, None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            m = re.match(r"^\[(.+)\]$", line)
            if m:
                current = sections.setdefault(m.group(1), {})
                continue
            if current is not None and "=" in line:
                key, value = line.split("=", 1)
                current[key.strip()] = value.strip()
    return sections


def i386_sections(guests):
    cfg = parse_cfg(os.path.join(guests, "unittests.cfg"))
    out = {}
    for name, s in cfg.items():
        if s.get("arch", "i386") != "i386":
            continue
        if not os.path.exists(os.path.join(guests, s.get("file", ""))):
            continue
        out[name] = s
    return out


def unquote(v):
    return " ".join(shlex.split(v)) if v else ""


def load_expectations(path):
    """expected.txt: `SECTION ENGINE OUTCOME REASON...` (the outcomes of run_one)."""
    exp = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for raw in f:
                line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
                if not line:
                    continue
                parts = line.split(None, 3)
                section, engine, outcome = parts[0], parts[1], parts[2]
                reason = parts[3] if len(parts) > 3 else ""
                exp[(section, engine)] = (outcome, reason)
    return exp


_profiles = None


def prevt_profiles(prevt):
    """The CPU models `prevt run -cpu help` lists (first word of each indented line)."""
    global _profiles
    if _profiles is None:
        try:
            r = subprocess.run([prevt, "run", "-cpu", "help"], capture_output=True, timeout=10)
            text = (r.stdout + r.stderr).decode(errors="replace")
        except (OSError, subprocess.TimeoutExpired):
            text = ""
        _profiles = {l.split()[0] for l in text.splitlines() if l.startswith(" ") and l.split()}
    return _profiles


_cpuid_faulting = None


def host_has_cpuid_faulting(prevt):
    """Whether `prevt host` says this host has CPUID faulting (trap's cpuid is the virtual
    CPU's only then; without it the guest reads the host CPU)."""
    global _cpuid_faulting
    if _cpuid_faulting is None:
        try:
            r = subprocess.run([prevt, "host"], capture_output=True, timeout=10)
            _cpuid_faulting = "cpuid-faulting: yes" in r.stdout.decode(errors="replace")
        except (OSError, subprocess.TimeoutExpired):
            _cpuid_faulting = False
    return _cpuid_faulting


def map_params(section, engine, guests_dir, prevt="prevt"):
    """The command-line arguments for ENGINE, notes, and a refusal reason (or None)."""
    params = shlex.split(section.get("qemu_params", section.get("extra_params", "")))
    args, notes = [], []
    smp = int(section.get("smp", "1"))
    accel = section.get("accel", "")
    if accel == "kvm" and engine in ("qemu", "bt", "trap"):
        return None, notes, "needs accel=kvm (a host PMU)"
    if engine == "qemu":  # the reference takes the section's parameters as they are
        args = params + (["-smp", str(smp)] if smp > 1 else [])
        test_args = unquote(section.get("test_args", ""))
        return args + (["-append", test_args] if test_args else []), notes, None
    extra_append = ""
    i = 0
    while i < len(params):
        p = params[i]
        v = params[i + 1] if i + 1 < len(params) else ""
        if p == "-m":
            args += ["-m", v]
            i += 2
        elif p == "-cpu":
            model, _, features = v.partition(",")
            if model in prevt_profiles(prevt):
                args += ["-cpu", model]
                if features:
                    notes.append(f"-cpu {model}: features {features} not mapped (a model only)")
            else:
                notes.append(f"-cpu {v} not mapped: no such prevt model (the default)")
            i += 2
        elif p == "-append":
            extra_append = v
            i += 2
        elif p == "-smp":
            smp = int(v.split(",")[0])
            i += 2
        elif p == "-machine" and all(prop in ("pit=off", "pit=on") for prop in v.split(",")):
            args += ["-machine", v]  # (prevt's pc without its i8254)
            i += 2
        else:
            return None, notes, f"prevt has no {p} {v}".strip()
    if smp > 1:  # bt runs them; trap and kvm run one, saying so (fw_cfg says 1)
        args += ["-smp", str(smp)]
        if engine != "bt":
            notes.append(f"smp {smp} run on one CPU: {engine} runs one vCPU (fw_cfg says 1)")
    # QEMU gives a Multiboot kernel "FILE ARGS" as its command line (hw/i386/multiboot.c), and
    # the suite takes the first word for argv[0]; prevt does the same (docs/qemu-options.md).
    test_args = " ".join(x for x in (extra_append, unquote(section.get("test_args", ""))) if x)
    if test_args:
        args += ["-append", test_args]
    return args, notes, None


# The devices kvm-unit-tests' x86/run adds to every test's command line: pc-testdev (the
# scratch port 0xe0, the IRQ lines at 0x2000) and isa-debug-exit; QEMU and prevt get both.
TEST_DEVICES = ["-device", "pc-testdev", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x4"]


def run_one(engine, name, section, prevt, guests):
    """(outcome, detail, output)."""
    args, notes, refused = map_params(section, engine, guests, prevt)
    if refused:
        return "refused", refused, ""
    flat = os.path.join(guests, section["file"])
    timeout = int(section.get("timeout", DEFAULT_TIMEOUT))
    if engine == "qemu":
        qemu = os.environ.get("QEMU_I386", "qemu-system-i386")
        if not shutil.which(qemu):
            return "refused", f"no {qemu}", ""
        cmd = [qemu, "-accel", "tcg", "-nodefaults", "-no-reboot", "-m", "256"] + TEST_DEVICES
        cmd += ["-serial", "stdio", "-display", "none", "-kernel", flat] + args
    else:
        cmd = [prevt, "run", "--engine", engine, "--timeout", str(timeout), "-m", "256",
               "--serial", "stdio"] + TEST_DEVICES
        cmd += args + ["-kernel", flat]
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout + 15)
        status = r.returncode
        out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        status = 124
        out = (e.stdout or b"").decode(errors="replace") + (e.stderr or b"").decode(errors="replace")
    lines = out.splitlines()
    summary = next((l for l in lines if l.startswith("SUMMARY:")), "")
    first_fail = next((l for l in lines if l.startswith("FAIL")), "")
    # Why a run stopped without a result: prevt's own line (not its warnings), else the
    # suite's report of an exception it did not expect.
    stopped = next((l for l in lines if l.startswith("prevt:") and not l.startswith("prevt: warning")),
                   "") or next((l for l in lines if l.startswith("Unhandled exception")), "")
    note = ("; ".join(notes) + ": ") if notes else ""
    qemu_error = next((l for l in lines if l.startswith("qemu-system") and "warning:" not in l), "")
    if status == 1 and qemu_error and not summary:  # QEMU itself refused the parameters
        return "refused", qemu_error, out
    if status == 1:  # (older tests, realmode and taskswitch, print no SUMMARY line)
        return "pass", note + summary, out
    if status == 3 and summary:  # isa-debug-exit with 1: unexpected failures
        return "fail", note + (summary + " " + first_fail).strip(), out
    if status == 77:
        return "skip", note + (summary or "skipped by the suite"), out
    if status == 124:
        return "timeout", note + f"no result in {timeout} s", out
    # prevt's status 3 (a guest it cannot run on), 4, a signal; or another debug-exit code.
    return "crash", note + f"status {status}: {stopped or first_fail}".strip(), out


def cmd_one(a):
    if not os.path.isdir(a.guests):
        print(f"SKIP: no kvm-unit-tests at {a.guests} (set PREVT_KVM_UNIT_TESTS)")
        return 77
    sections = i386_sections(a.guests)
    if a.section not in sections:
        print(f"SKIP: {a.section} is not an i386 test with its .flat in {a.guests}")
        return 77
    expected, reason = load_expectations(a.expect).get((a.section, a.engine), ("pass", ""))
    if expected == "timeout" and not os.environ.get("KUT_RUN_ALL"):
        print(f"SKIP: known timeout on {a.engine}, not run (KUT_RUN_ALL=1 runs it): {reason}")
        return 77
    outcome, detail, out = run_one(a.engine, a.section, sections[a.section], a.prevt, a.guests)
    print(f"{a.section} on {a.engine}: {outcome} ({detail}); recorded: {expected}"
          + (f" ({reason})" if reason else ""))
    if outcome == expected:
        if outcome == "pass":
            return 0
        print(f"SKIP: known {outcome} on {a.engine}: {reason or detail}")
        return 77
    if outcome == "refused":  # (e.g. QEMU missing): nothing to compare
        print(f"SKIP: {detail}")
        return 77
    # trap on a host without CPUID faulting: the guest's cpuid is the host CPU's (x2APIC, the
    # host's vendor...), so its outcome is the host's, not what expected.txt records (trap on a
    # host with CPUID faulting). Only prevt dying by a signal is a failure then.
    if a.engine == "trap" and not host_has_cpuid_faulting(a.prevt):
        if "status -" in detail or any(f"status {n}:" in detail for n in range(128, 160)):
            print(f"UNEXPECTED: prevt died by a signal on trap: {detail}")
            return 1
        print(f"SKIP: this host has no CPUID faulting: trap's guest reads the host's CPUID, so "
              f"its outcome ({outcome}) is not the recorded one ({expected})")
        return 77
    print(f"UNEXPECTED: {outcome}, but tests/kvm-unit-tests/expected.txt records {expected};"
          " the last lines of output:")
    for line in out.splitlines()[-20:]:
        print("    " + line)
    return 1


def cmd_table(a):
    sections = i386_sections(a.guests)
    if a.log:
        os.makedirs(a.log, exist_ok=True)
    engines = a.engines.split(",")
    if a.only:
        sections = {k: v for k, v in sections.items() if k in a.only.split(",")}
    print("| test | " + " | ".join(engines) + " |")
    print("|---|" + "---|" * len(engines))
    for name in sorted(sections):
        cells = []
        for e in engines:
            outcome, detail, out = run_one(e, name, sections[name], a.prevt, a.guests)
            if a.log:
                with open(os.path.join(a.log, f"{name}.{e}.out"), "w") as f:
                    f.write(out)
            cells.append(f"{outcome}: {detail}".replace("|", "/") if outcome != "pass" else "pass")
            print(f"{name} {e} {outcome} {detail}", file=sys.stderr, flush=True)
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="verb", required=True)
    one = sub.add_parser("one")
    one.add_argument("engine", choices=["qemu", "bt", "trap", "kvm"])
    one.add_argument("section")
    table = sub.add_parser("table")
    table.add_argument("--engines", default="qemu,bt,trap,kvm")
    table.add_argument("--log", help="a directory for each run's output")
    table.add_argument("--only", help="comma-separated sections (default: all)")
    secs = sub.add_parser("sections")
    for sp in (one, table, secs):
        sp.add_argument("--prevt", default="prevt")
        sp.add_argument("--guests", required=True)
        sp.add_argument("--expect", default=os.path.join(os.path.dirname(__file__), "expected.txt"))
    a = p.parse_args()
    if a.verb == "one":
        return cmd_one(a)
    if a.verb == "table":
        return cmd_table(a)
    if os.path.isdir(a.guests):
        print(";".join(sorted(i386_sections(a.guests))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
