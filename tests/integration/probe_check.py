#!/usr/bin/env python3
"""Read the probe's records (probe.<rank>.json in work directories) and check
how evaluations shared the machine.

  probe_check.py pernode CORES DIR...
                                  no node ran more tasks at once than CORES
  probe_check.py overlap [--ignore-cpus] DIR...
                                  no two evaluations that ran at the same time
                                  shared a CPU or a GPU; prints the peak
                                  concurrency and the GPU ids seen
  probe_check.py values RESULTS [--workdir T]
                                  every section of the standard batch results
                                  file RESULTS is the probe's answer for the
                                  parameters in workdir.<eval>: the sum of the
                                  numeric variables; sections in batch order
"""
import glob
import json
import os
import sys


def cpus(spec):
    out = set()
    for part in filter(None, spec.split(',')):
        a, _, b = part.partition('-')
        out.update(range(int(a), int(b or a) + 1))
    return out


def records(dirs):
    recs = []
    for d in dirs:
        for f in glob.glob(os.path.join(d, 'probe.*.json')):
            r = json.load(open(f))
            if r['end'] is None:
                sys.exit(f'{f}: the probe did not finish')
            r['dir'] = d
            r['cpuset'] = cpus(r['cpus'])
            g = r.get('CUDA_VISIBLE_DEVICES')
            r['gpuset'] = set(filter(None, (g or '').split(',')))
            recs.append(r)
    return recs


def overlap(dirs):
    ignore_cpus = '--ignore-cpus' in dirs  # --cores beyond the real ones shares CPUs on purpose
    dirs = [d for d in dirs if d != '--ignore-cpus']
    recs = records(dirs)
    bad = 0
    for i, a in enumerate(recs):
        for b in recs[i + 1:]:
            if a['dir'] == b['dir']:
                continue  # ranks of one evaluation
            if a['start'] < b['end'] and b['start'] < a['end']:
                if a['cpuset'] & b['cpuset'] and not ignore_cpus:
                    print(f"{a['dir']} and {b['dir']} ran together on CPUs {sorted(a['cpuset'] & b['cpuset'])}")
                    bad += 1
                if a['gpuset'] & b['gpuset']:
                    print(f"{a['dir']} and {b['dir']} ran together on GPUs {sorted(a['gpuset'] & b['gpuset'])}")
                    bad += 1
    # peak concurrency of evaluations (not ranks)
    spans = {}
    for r in recs:
        s, e = spans.get(r['dir'], (r['start'], r['end']))
        spans[r['dir']] = (min(s, r['start']), max(e, r['end']))
    events = sorted([(s, 1) for s, _ in spans.values()] + [(e, -1) for _, e in spans.values()])
    cur = peak = 0
    for _, d in events:
        cur += d
        peak = max(peak, cur)
    gpus = sorted({g for r in recs for g in r['gpuset']})
    print(f'evaluations {len(spans)} peak {peak} gpus {",".join(gpus) or "-"} conflicts {bad}')
    return 1 if bad else 0


def pernode(args):
    """pernode CORES DIR...: every node's peak of concurrent tasks is at most
    CORES; prints the nodes used and each one's peak"""
    cores, dirs = int(args[0]), args[1:]
    recs = records(dirs)
    bynode = {}
    for r in recs:
        bynode.setdefault(r.get('SLURMD_NODENAME') or r['host'], []).append(r)
    bad = 0
    peaks = {}
    for node, rs in sorted(bynode.items()):
        events = sorted([(r['start'], 1) for r in rs] + [(r['end'], -1) for r in rs])
        cur = peak = 0
        for _, d in events:
            cur += d
            peak = max(peak, cur)
        peaks[node] = peak
        if peak > cores:
            print(f'{node} ran {peak} tasks at once, it has {cores} cores')
            bad += 1
    print('nodes ' + ' '.join(f'{n}:{p}' for n, p in peaks.items()))
    return 1 if bad else 0


def values(args):
    import runpy
    sections = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           'dakota_sections.py'))['sections']
    secs = sections(open(args[0]).read())
    bad = 0
    for e, sec in enumerate(secs, 1):
        lines = open(f'workdir.{e}/params.in').read().split('\n')
        nv = int(lines[0].split()[0])
        xs = []
        for l in lines[1:1 + nv]:
            try:
                xs.append(float(l.split()[0]))
            except ValueError:
                pass  # a string variable
        if 'FAIL' in sec or abs(float(sec.split()[0]) - sum(xs)) > 1e-12:
            print(f'evaluation {e}: {sec.strip()!r}, expected {sum(xs)!r}')
            bad += 1
    print(f'sections {len(secs)} wrong {bad}')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit({'overlap': overlap, 'pernode': pernode,
              'values': values}[sys.argv[1]](sys.argv[2:]))
