#!/usr/bin/env python3
"""Check a batch results file against Dakota's text_book formulas.

Usage: check_textbook.py BATCH_PARAMS BATCH_RESULTS [--fail EVAL ...]

Reads the batch parameters (standard, APREPRO or JSON) and the batch results
(standard '#'-separated sections, or a JSON array) independently of
batchtile's own parsers, and compares every requested value, gradient and
Hessian with the formulas. Evaluations named with --fail must be FAIL.
"""
import json
import os
import math
import re
import sys


def parse_params(text):
    """Yield dicts {x: [...], asv: [...], dvv: [...], eval: int} per evaluation."""
    s = text.lstrip()
    if s.startswith('[') or (s.startswith('{') and '"' in s.split('\n', 1)[0]):
        data = json.loads(text)
        if isinstance(data, dict):
            data = [data]
        for e in data:
            yield {'x': [v['value'] for v in e['variables']],
                   'asv': [r['active_set'] for r in e['responses']],
                   'labels': [r['label'] for r in e['responses']],
                   'dvv': list(e.get('derivative_variables', [])),
                   'eval': int(str(e['eval_id']).split(':')[-1])}
        return
    aprepro = s.startswith('{')
    pairs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if aprepro:
            m = re.match(r'\s*\{\s*(\S+)\s*=\s*(.*?)\s*\}\s*$', line)
            pairs.append((m.group(2), m.group(1)))
        else:
            value, label = line.rsplit(None, 1)
            pairs.append((value.strip(), label))
    tags = {'variables': 'DAKOTA_VARS', 'functions': 'DAKOTA_FNS',
            'derivative_variables': 'DAKOTA_DER_VARS',
            'analysis_components': 'DAKOTA_AN_COMPS', 'eval_id': 'DAKOTA_EVAL_ID',
            'metadata': 'DAKOTA_METADATA'}
    tag = (lambda k: tags[k]) if aprepro else (lambda k: k)
    i = 0
    while i < len(pairs):
        def block(name):
            nonlocal i
            v, l = pairs[i]
            assert l == tag(name), (l, name)
            n = int(v)
            out = pairs[i + 1:i + 1 + n]
            i += 1 + n
            return out
        ev = {'x': [float(v) for v, _ in block('variables')]}
        fns = block('functions')
        ev['asv'] = [int(v) for v, _ in fns]
        ev['labels'] = [l.split(':', 1)[1] for _, l in fns]
        ev['dvv'] = [int(v) for v, _ in block('derivative_variables')]
        block('analysis_components')
        v, l = pairs[i]
        ev['eval'] = int(v.split(':')[-1])
        i += 1
        if i < len(pairs) and pairs[i][1] == tag('metadata'):
            block('metadata')
        yield ev


def textbook(x, dvv):
    """Values, gradients, Hessians of f, c1, c2 over the DVV."""
    x1 = x[0]
    x2 = x[1] if len(x) > 1 else 0.0
    vals = [sum((xi - 1) ** 4 for xi in x), x1 * x1 - x2 / 2, x2 * x2 - x1 / 2]
    idx = [d - 1 for d in dvv]
    grads = [[4 * (x[k] - 1) ** 3 for k in idx],
             [2 * x1 if k == 0 else -0.5 if k == 1 else 0.0 for k in idx],
             [-0.5 if k == 0 else 2 * x2 if k == 1 else 0.0 for k in idx]]
    hess = [[[12 * (x[a] - 1) ** 2 if a == b else 0.0 for b in idx] for a in idx],
            [[2.0 if a == b == 0 else 0.0 for b in idx] for a in idx],
            [[2.0 if a == b == 1 else 0.0 for b in idx] for a in idx]]
    return vals, grads, hess


def sections_standard(text):
    """Dakota's reading of a standard batch results file (dakota_sections.py),
    each section as its list of lines."""
    import runpy
    sections = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           'dakota_sections.py'))['sections']
    return [s.splitlines() for s in sections(text)]


def numbers(lines):
    toks = ' '.join(lines).replace('[', ' [ ').replace(']', ' ] ').split()
    out = []
    for t in toks:
        try:
            out.append(float(t))
        except ValueError:
            pass
    return out


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-13, abs_tol=1e-13)


def main():
    args = sys.argv[1:]
    fails = set()
    if '--fail' in args:
        k = args.index('--fail')
        fails = {int(e) for e in args[k + 1:]}
        args = args[:k]
    params_path, results_path = args
    evals = list(parse_params(open(params_path).read()))
    rtext = open(results_path).read()
    is_json = rtext.lstrip().startswith('[')
    sections = json.loads(rtext) if is_json else sections_standard(rtext)
    if len(sections) != len(evals):
        sys.exit(f'{len(sections)} sections for {len(evals)} evaluations')
    checked = 0
    for ev, sec in zip(evals, sections):
        failed = sec.get('fail') is True if is_json else [l.strip() for l in sec] == ['FAIL']
        if ev['eval'] in fails:
            if not failed:
                sys.exit(f"evaluation {ev['eval']}: expected FAIL, found {sec}")
            continue
        if failed:
            sys.exit(f"evaluation {ev['eval']}: unexpected FAIL")
        vals, grads, hess = textbook(ev['x'], ev['dvv'])
        want = []
        for j, a in enumerate(ev['asv']):
            if a & 1:
                want.append(vals[j])
        for j, a in enumerate(ev['asv']):
            if a & 2:
                want.extend(grads[j])
        for j, a in enumerate(ev['asv']):
            if a & 4:
                want.extend(v for row in hess[j] for v in row)
        if is_json:
            got = []
            for j, a in enumerate(ev['asv']):
                if a & 1:
                    got.append(sec['functions'][ev['labels'][j]])
            for j, a in enumerate(ev['asv']):
                if a & 2:
                    got.extend(sec['gradients'][ev['labels'][j]])
            for j, a in enumerate(ev['asv']):
                if a & 4:
                    got.extend(v for row in sec['hessians'][ev['labels'][j]] for v in row)
        else:
            got = numbers(sec)
        if len(got) != len(want) or not all(close(g, w) for g, w in zip(got, want)):
            sys.exit(f"evaluation {ev['eval']}: got {got}, expected {want}")
        checked += len(want)
    print(f'{len(evals)} evaluations, {checked} numbers match the text_book formulas')


main()
