#!/usr/bin/env python3
"""The comparison driver for bench/flux.sh: a batch driver written the way
the reference workflow's Python driver is — Flux's FluxExecutor, one
JobspecV1.from_command per evaluation, then wait for every future.

  flux python flux_executor_driver.py SIM BATCH_PARAMS BATCH_RESULTS

Splits the batch (standard format) into workdir.N/params.in, submits every
evaluation, waits, and writes the batch results file ('#' after each, FAIL
for a failure), like the reference.
"""
import os
import sys

import flux.job
from flux.job import FluxExecutor, JobspecV1

sim, params, results = sys.argv[1:4]
text = open(params).read().split('\n')
evals, i = [], 0
while i < len(text) and text[i].strip():
    start = i
    n = int(text[i].split()[0]); i += 1 + n                  # variables
    n = int(text[i].split()[0]); i += 1 + n                  # functions
    n = int(text[i].split()[0]); i += 1 + n                  # derivative_variables
    n = int(text[i].split()[0]); i += 1 + n                  # analysis_components
    eid = text[i].split()[0].split(':')[-1]; i += 1          # eval_id
    if i < len(text) and text[i].endswith(' metadata'):
        n = int(text[i].split()[0]); i += 1 + n
    evals.append((eid, '\n'.join(text[start:i]) + '\n'))

cwd = os.getcwd()
futures = []
with FluxExecutor() as executor:
    for eid, body in evals:
        d = os.path.join(cwd, f'workdir.{eid}')
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, 'params.in'), 'w') as f:
            f.write(body)
        js = JobspecV1.from_command([sim, 'params.in', 'results.out'], num_tasks=1,
                                    cores_per_task=1)
        js.cwd = d
        js.stdout = os.path.join(d, 'stdout.txt')
        js.stderr = os.path.join(d, 'stderr.txt')
        js.environment = dict(os.environ)
        futures.append((eid, executor.submit(js)))
    out = []
    for eid, fut in futures:
        try:
            ok = fut.result() == 0
        except Exception:
            ok = False
        r = os.path.join(cwd, f'workdir.{eid}', 'results.out')
        out.append(open(r).read() if ok and os.path.exists(r) else 'FAIL\n')
with open(results, 'w') as f:
    f.write(''.join(o + '#\n' for o in out))
