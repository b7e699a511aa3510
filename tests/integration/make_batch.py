#!/usr/bin/env python3
"""Write a Dakota batch parameters file on stdout, as Dakota's writers do.

  make_batch.py N [--format standard|aprepro|json] [--asv A] [--vars K]
                  [--modes M1,M2,...] [--sleep S] [--seed X] [--batch B] [--first E]

Variables x1..xK uniform on [-1, 1] (K=4); one response f with active set A
(1); with --levels, an integer variable 'level' after them. With --modes or --sleep, string variables probe_mode / probe_sleep for
the probe simulation (modes cycle over the evaluations).
"""
import argparse
import json
import random

ap = argparse.ArgumentParser()
ap.add_argument('n', type=int)
ap.add_argument('--format', default='standard')
ap.add_argument('--asv', type=int, default=1)
ap.add_argument('--vars', type=int, default=4)
ap.add_argument('--modes', default='')
ap.add_argument('--sleep', default='')
ap.add_argument('--sleep-uniform', default='', help='LO:HI: a fixed random sleep per evaluation')
ap.add_argument('--seed', type=int, default=None)
ap.add_argument('--batch', type=int, default=1)
ap.add_argument('--first', type=int, default=1)
ap.add_argument('--levels', default='', help='L1,L2,...: an integer variable "level", cycling')
a = ap.parse_args()
rnd = random.Random(a.n if a.seed is None else a.seed)
modes = a.modes.split(',') if a.modes else []
out = []
for k in range(a.n):
    e = a.first + k
    xs = [(f'x{i + 1}', rnd.uniform(-1, 1)) for i in range(a.vars)]
    levels = [int(a.levels.split(',')[k % len(a.levels.split(','))])] if a.levels else []
    strs = []
    if modes:
        strs.append(('probe_mode', modes[k % len(modes)]))
    if a.sleep:
        strs.append(('probe_sleep', a.sleep))
    elif a.sleep_uniform:
        lo, hi = map(float, a.sleep_uniform.split(':'))
        strs.append(('probe_sleep', '%.3f' % rnd.uniform(lo, hi)))
    eid = f'{a.batch}:{e}'
    dvv = list(range(1, a.vars + 1))
    if a.format == 'json':
        out.append(json.dumps({
            'variables': [{'label': l, 'value': v} for l, v in xs + strs] +
                         [{'label': 'level', 'value': lv} for lv in levels],
            'responses': [{'label': 'f', 'active_set': a.asv}],
            'derivative_variables': dvv, 'analysis_components': [],
            'eval_id': eid, 'metadata': []}))
    elif a.format == 'aprepro':
        L = ['{ DAKOTA_VARS = %d }' % (len(xs) + len(strs) + len(levels))]
        L += ['{ %s = %.15e }' % (l, v) for l, v in xs]
        L += ['{ level = %d }' % lv for lv in levels]
        L += ['{ %s = "%s" }' % (l, v) for l, v in strs]
        L += ['{ DAKOTA_FNS = 1 }', '{ ASV_1:f = %d }' % a.asv, '{ DAKOTA_DER_VARS = %d }' % len(dvv)]
        L += ['{ DVV_%d:x%d = %d }' % (i, i, i) for i in dvv]
        L += ['{ DAKOTA_AN_COMPS = 0 }', '{ DAKOTA_EVAL_ID = %s }' % eid, '{ DAKOTA_METADATA = 0 }']
        out.append('\n'.join(' ' * 20 + l for l in L) + '\n')
    else:
        L = ['%43d variables' % (len(xs) + len(strs) + len(levels))]
        L += ['%43.15e %s' % (v, l) for l, v in xs]
        L += ['%43d level' % lv for lv in levels]
        L += ['%43s %s' % (v, l) for l, v in strs]
        L += ['%43d functions' % 1, '%43d ASV_1:f' % a.asv, '%43d derivative_variables' % len(dvv)]
        L += ['%43d DVV_%d:x%d' % (i, i, i) for i in dvv]
        L += ['%43d analysis_components' % 0, '%43s eval_id' % eid, '%43d metadata' % 0]
        out.append('\n'.join(L) + '\n')
if a.format == 'json':
    print('[\n' + ',\n'.join(out) + '\n]')
else:
    print(''.join(out), end='')
