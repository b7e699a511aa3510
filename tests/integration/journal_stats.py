"""What a run's journal recorded, computed independently of batchtile report:
makespan (run start to last end), utilisation (core-seconds of the attempts
over cores x makespan) and each final attempt's runtime. Tests compare the
report with these, never with nominal sleep times, so that a busy machine
moves both alike."""
import json


def journal_stats(path):
    run, evals = None, []
    for line in open(path):
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get('type') == 'run':
            run, evals = rec, []       # the last run in the journal
        elif rec.get('type') == 'eval':
            evals.append(rec)
    assert run is not None, 'no run record'
    cores = sum(n['cores'] for n in run['nodes'])
    last = max([run['start']] + [e['end'] for e in evals])
    makespan = last - run['start']
    used = sum(sum(len(s['cores']) for s in e['placement']) * (e['end'] - e['start'])
               for e in evals)
    final = [e for e in evals if e.get('final')]
    return {'makespan': makespan,
            'utilisation': used / (cores * makespan) if makespan > 0 else float('nan'),
            'runtimes': [e['end'] - e['start'] for e in final],
            'by_eval': {e['eval']: e['end'] - e['start'] for e in final}}
