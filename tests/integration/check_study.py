#!/usr/bin/env python3
"""Check a `batchtile study` run: the tabular file against the text_book
formula, and the printed statistics against values computed here.

  check_study.py SUMMARY TABULAR [--failed K]

SUMMARY is what the study printed. The confidence intervals use quantiles
from published tables for the degrees of freedom of the run (n = 80 or 76).
"""
import math
import re
import sys

T975 = {79: 1.990450, 75: 1.992102}                         # Student t(0.975, df)
CHI2 = {79: (56.30890, 105.47275), 75: (52.94194, 100.83934)}  # chi2(0.025), chi2(0.975)

args = sys.argv[1:]
failed_expected = None
if '--failed' in args:
    failed_expected = int(args[args.index('--failed') + 1])
summary, tabular = args[0], args[1]
rows = [l.split() for l in open(tabular)]
head = rows[0]
assert head[0] == '%eval_id' and head[1] == 'interface', head
labels = head[2:]
data = rows[1:]
assert [int(r[0]) for r in data] == list(range(1, len(data) + 1)), 'eval ids 1..n in order'
fcol = labels.index('f')
xs = [[float(v) for v in r[2:fcol + 2]] for r in data]
fs = [float(r[fcol + 2]) for r in data]
ok = [not math.isnan(f) for f in fs]
for x, f, good in zip(xs, fs, ok):
    if good:
        want = sum((xi - 1) ** 4 for xi in x)
        assert math.isclose(f, want, rel_tol=1e-13, abs_tol=1e-13), (x, f, want)
v = [f for f, good in zip(fs, ok) if good]
n = len(v)
mean = sum(v) / n
s2 = sum((a - mean) ** 2 for a in v)
s3 = sum((a - mean) ** 3 for a in v)
s4 = sum((a - mean) ** 4 for a in v)
sd = math.sqrt(s2 / (n - 1))
m2 = s2 / n
skew = (s3 / n) / m2 ** 1.5 * math.sqrt(n * (n - 1)) / (n - 2)
kurt = (((n + 1) * ((s4 / n) / m2 ** 2 - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))
t = T975[n - 1]
lo, hi = CHI2[n - 1]
want = {'mean': mean, 'sd': sd, 'skew': skew, 'kurt': kurt,
        'ci_mean': (mean - t * sd / math.sqrt(n), mean + t * sd / math.sqrt(n)),
        'ci_sd': (sd * math.sqrt((n - 1) / hi), sd * math.sqrt((n - 1) / lo))}
text = open(summary).read()
lines = [l.split() for l in text.splitlines() if l.split()[:1] == ['f']]
assert len(lines) == 2, lines
got = [float(a) for a in lines[0][1:]] + [float(a) for a in lines[1][1:]]
expect = [want['mean'], want['sd'], want['skew'], want['kurt'], *want['ci_mean'], *want['ci_sd']]
names = ['mean', 'std dev', 'skewness', 'kurtosis', 'lower CI mean', 'upper CI mean',
         'lower CI sd', 'upper CI sd']
for name, g, w in zip(names, got, expect):
    # the summary prints 11 significant digits; the tables give 6-7
    tol = 1e-9 if name in ('mean', 'std dev', 'skewness', 'kurtosis') else 2e-6
    assert math.isclose(g, w, rel_tol=tol), f'{name}: printed {g}, computed {w}'
m = re.search(r'Failed evaluations: (\d+) of (\d+)', text)
assert m and int(m.group(2)) == len(data), 'failed count line'
if failed_expected is not None:
    assert int(m.group(1)) == failed_expected == len(data) - n, (m.group(1), failed_expected)
print(f'{len(data)} evaluations ({len(data) - n} failed): f matches the formula, '
      f'printed mean {got[0]:.10e} = column mean, all 8 statistics match')
