#!/usr/bin/python3
"""bench/pg_copy_vs_insert.py — why the jdbc sink uses COPY (connect/pg_sink.c).

Against a throw-away PostgreSQL (tests/pg/pgfixture.py, fsync on): 100k
rows {order_id, user_id, amount, region} in one transaction, through psql,
as COPY and as multi-row INSERT … VALUES of 1000 rows a statement; then
upserts onto those keys, as COPY into a stage table + INSERT … SELECT … ON
CONFLICT and as multi-row INSERT … ON CONFLICT.  Three rounds.
"""
import sys, time, random, subprocess, os
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "tests", "lib"), os.path.join(HERE, "..", "tests", "pg")]
from pgfixture import PgServer
N=100000
rng=random.Random(1)
rows=[(i, rng.randint(1,10000), rng.randint(100,100000)/100, "region%d"%rng.randint(1,8)) for i in range(N)]
copy="".join("%d\t%d\t%r\t%s\n"%r for r in rows)
def vals(chunk): return ",".join("(%d,%d,%r,'%s')"%r for r in chunk)
with PgServer(fsync=True) as pg:
    psql=[os.path.join(pg.bin,"psql"),"-X","-q","-h","127.0.0.1","-p",str(pg.port),"-U","postgres","-d","eddy","-v","ON_ERROR_STOP=1"]
    def run(sql, stdin=None):
        t=time.monotonic(); subprocess.run(psql+["-c",sql] if stdin is not None else psql, input=(stdin if stdin is not None else sql).encode(), check=True, capture_output=True); return time.monotonic()-t
    for rep in range(3):
        pg.exec("DROP TABLE IF EXISTS a; CREATE TABLE a (order_id bigint, user_id bigint, amount float8, region text); DROP TABLE IF EXISTS u; CREATE TABLE u (order_id bigint primary key, user_id bigint, amount float8, region text)")
        t_copy=run("COPY a FROM STDIN", copy)
        script="BEGIN;\n"+"".join("INSERT INTO a VALUES %s;\n"%vals(rows[i:i+1000]) for i in range(0,N,1000))+"COMMIT;\n"
        t_multi=run(script)
        up="BEGIN; CREATE TEMP TABLE s AS SELECT * FROM u WITH NO DATA; COPY s FROM STDIN;\n"+copy+"\\.\nINSERT INTO u SELECT * FROM s ON CONFLICT (order_id) DO UPDATE SET user_id=EXCLUDED.user_id, amount=EXCLUDED.amount, region=EXCLUDED.region; COMMIT;\n"
        t_ucopy=run(up)
        script="BEGIN;\n"+"".join("INSERT INTO u VALUES %s ON CONFLICT (order_id) DO UPDATE SET user_id=EXCLUDED.user_id, amount=EXCLUDED.amount, region=EXCLUDED.region;\n"%vals(rows[i:i+1000]) for i in range(0,N,1000))+"COMMIT;\n"
        t_umulti=run(script)
        print("append copy %.3f multi %.3f | upsert(conflicting) copy+stage %.3f multi %.3f"%(t_copy,t_multi,t_ucopy,t_umulti))
