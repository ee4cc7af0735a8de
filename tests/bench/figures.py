"""Benchmarks hand their headline figures to tools/bench.sh, which prints them in one table:
one JSON object per line appended to $AXPERT_BENCH_FIGURES (nothing when it is unset)."""
import json
import os


def figure(name, value, unit='', target=''):
    path = os.environ.get('AXPERT_BENCH_FIGURES')
    if path:
        with open(path, 'a') as f:
            f.write(json.dumps({'name': name, 'value': value, 'unit': unit,
                                'target': target}) + '\n')
