#!/usr/bin/env python3
"""check_sql.py BENCH_DIR TEST_FILE... — the Nexmark query files stay in step:
every bench/nexmark/qN.sql holds ddl.sql verbatim as its prelude, and the
statements after the prelude appear verbatim as a case's SQL in
tests/sql/nexmark.test or tests/nexmark/q14.test (when a file has a case
for that query; each file's prelude is ddl.sql's statements), so the
hand-checked expectations test the very queries run.sh times."""
import os
import re
import sys

bench, test_files = sys.argv[1], sys.argv[2:]
ddl = open(os.path.join(bench, 'ddl.sql')).read()
tests = ''.join(open(t).read() for t in test_files)
test = ' / '.join(test_files)
END = '-- ---- end of the prelude ----\n\n'
bad = []
for t in test_files:
    text = open(t).read()
    if not text.startswith('#') or ('--- sql\n' + ddl.rstrip('\n') + '\n--- input') not in text:
        bad.append(f'{t}: its prelude is not ddl.sql verbatim')
cases = set(int(m) for m in re.findall(r'^=== q(\d+):', tests, re.M))
for i in range(23):
    path = os.path.join(bench, f'q{i}.sql')
    if not os.path.exists(path):
        bad.append(f'{path}: missing')
        continue
    s = open(path).read()
    if ddl not in s or END not in s:
        bad.append(f'{path}: its prelude is not a copy of ddl.sql (or lacks the end marker)')
        continue
    body = s[s.index(END) + len(END):].rstrip('\n')
    if i in cases and ('--- sql\n' + body + '\n') not in tests:
        bad.append(f'{path}: its statements differ from the q{i} case of {test}')
for b in bad:
    print(b)
print(f'{23 - len(bad)} of 23 query files in step; {len(cases)} with a test case')
sys.exit(1 if bad else 0)
