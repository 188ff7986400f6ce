"""The machine a speed figure belongs to: `cpu` (the CPU and its ISA, as the OS
reports it) and `measured` (what a `recipe sweep` measured on a CPU, as
`recipe lint --target-cpu` and `recipe new --from-sweep` read it).

May import: the standard library only, so every floor above (lint, the runner,
doctor) may use it.
"""
