"""repl/startup — what runs before the prompt, and help inside the shell:
~/.eddyrc runs at start and the shell says so in one line, --no-rc skips
it; -i FILE and --init FILE run a script before the prompt (and before a
piped script); an error in either names file:line:column, at the prompt the
session goes on, in a script nothing more runs (exit 1).  help COMMAND,
help functions inside the shell print what `eddy help …` prints; an
unknown topic is an error."""

import os
import re

from eddyharness import check, main, run, step, write_file
from repltest import CTRL_D, Shell, run_piped

NOWHERE = ["--bootstrap", "127.0.0.1:9"]


def test(eddy, workdir):
    home = os.path.join(workdir, "home")
    os.makedirs(home)
    write_file(home, ".eddyrc", "SET 'pipeline.name' = 'from_rc';\nCREATE TABLE rc_t (a INT);\n")
    init = write_file(workdir, "init.sql", "CREATE TABLE init_t (a INT);\n-- a comment\n")
    bad = write_file(workdir, "bad.sql", "CREATE TABLE ok_t (a INT);\n\nSELECT a FROM ok_t WHERE a >;\nCREATE TABLE never_t (a INT);\n")

    nopager = {"PAGER": "", "EDDY_PAGER": None}   # long help printed whole, whatever its length
    s = Shell(eddy, workdir, NOWHERE + ["-i", init], home=home, env=nopager)
    try:
        s.expect(r"Start-up: running %s/\.eddyrc \(--no-rc skips it\)\n" % re.escape(home), what="the line about ~/.eddyrc")
        s.prompt()
        out = s.run("SHOW TABLES;")
        check(out.split()[-2:] == ["init_t", "rc_t"], "tables after ~/.eddyrc and -i: %r" % out)
        out = s.run("SET;")
        check("'pipeline.name' = 'from_rc'" in out, "SET from ~/.eddyrc: %r" % out)
        step("~/.eddyrc, then -i FILE, before the prompt")

        out = s.run("help run")
        check(out.split("\n", 1)[1].strip() == run([eddy, "help", "run"]).out.strip(), "help run: %r" % out[:300])
        out = s.run("help functions")
        check(out.split("\n", 1)[1].strip() == run([eddy, "help", "functions"]).out.strip(), "help functions: %r" % out[:300])
        out = s.run("help nothing")
        check("error: no help on 'nothing'" in out, "help on an unknown topic: %r" % out)
        out = s.run("help")
        check("help options" in out and "SHOW TABLES" in out, "help: %r" % out[:300])
        step("help COMMAND and help functions in the shell are `eddy help …`")
        s.send(CTRL_D)
        check(s.wait_exit() == 0, "exit status")
        s.kill()

        s = Shell(eddy, workdir, NOWHERE + ["--no-rc", "--init", bad], home=home, env=nopager)
        m = s.expect(r"(.*)eddy> ", what="the prompt after a bad init file")
        check(".eddyrc" not in m.group(1), "--no-rc still ran ~/.eddyrc: %r" % m.group(1))
        check("%s:3:29: error: near \";\"" % bad in m.group(1), "the init file's error place: %r" % m.group(1))
        out = s.run("SHOW TABLES;")
        check(out.split()[-1:] == ["ok_t"], "tables after a failed init file: %r" % out)
        step("--no-rc skips ~/.eddyrc; --init FILE's error names file:line:column, the session goes on")
        s.send(CTRL_D)
        s.wait_exit()
    finally:
        s.kill()

    rc, out, err = run_piped(eddy, "SHOW TABLES;\n", ["-i", init], env={"HOME": home})
    check(rc == 0 and out.split() == ["init_t", "rc_t"], "piped with -i: %s %r %r" % (rc, out, err))
    check(err.count("\n") == 1 and "eddy: running %s/.eddyrc" % home in err, "piped: the ~/.eddyrc line: %r" % err)
    rc, out, err = run_piped(eddy, "SHOW TABLES;\n", ["--no-rc", "-i", bad], env={"HOME": home})
    check(rc == 1 and out == "" and "%s:3:29: error" % bad in err, "piped with a bad init file: %s %r %r" % (rc, out, err))
    step("a piped script: init first; an error there runs nothing of the script (exit 1)")


main(test)
