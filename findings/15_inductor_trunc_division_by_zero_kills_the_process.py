"""torch.div(i, 0, rounding_mode="trunc") on integers kills the process under inductor.

Backend: torch.compile(backend="inductor"), CPU
Torch: 2.13.0+cpu
Case: api_surface/integer_floor_division_by_zero (torch-compile:inductor)
Differs: eager raises RuntimeError("ZeroDivisionError"); the inductor-compiled function dies
    with SIGILL (the generated C++ divides by zero), taking the whole process with it. Floor
    division (//, floor_divide, rounding_mode="floor") is guarded on 2.13.0 and raises
    RuntimeError("inductor_cpu_throw_if_integer_div_error ...") instead; trunc is not.
Right side: eager; reference_impl raises the same RuntimeError("ZeroDivisionError"). Found by
    the harness: api_surface/integer_floor_division_by_zero recorded as "torch-compile:inductor
    crashed: signal 4 (SIGILL)" in the catalogue run, reduced by hand to the one call.
Issue: https://github.com/pytorch/pytorch/issues/143649 (integer division by zero in compiled
    CPU code), whose fix https://github.com/pytorch/pytorch/pull/186021 ("[Inductor][CPU] Guard
    compiled integer div by zero") is closed; on 2.13.0 the trunc path still crashes.
"""

import subprocess
import sys

CHILD = """
import sys, torch
def trunc_div(i):
    return torch.div(i, 0, rounding_mode="trunc")
fn = trunc_div if sys.argv[1] == "eager" else torch.compile(trunc_div, backend="inductor")
try:
    print(fn(torch.tensor([5, -3, 0])))
except RuntimeError as exc:
    print("RuntimeError:", str(exc).splitlines()[0][:60])
"""

for mode in ("eager", "inductor"):
    # each in its own process: the compiled call kills the one it runs in
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode], capture_output=True, text=True, timeout=600
    )
    answer = done.stdout.strip() or f"process killed (exit status {done.returncode})"
    print(f"{'eager' if mode == 'eager' else 'compiled':8}: {answer}")
