/*
 * repl_pager.c — text longer than the screen, as psql shows it: through a
 * pager.  The pager is $EDDY_PAGER, else $PAGER, else `less -FRX` when
 * less is installed, else the built-in one here (a page, then a
 * "--More--" line: Space a page, Enter a line, q or Ctrl-C the end).  An
 * empty EDDY_PAGER or PAGER, SET 'sql-client.display.pager' = 'false' or
 * \pset pager off prints the text whole.  Only on a terminal: in a script
 * (stdout not a terminal) text is always printed whole.
 *
 * Used for the final table of a query in table mode (repl_live.c) and for
 * long help texts (repl.c).  Nothing here knows SQL or jobs.
 */
#include "repl_shared.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

bool pager_enabled(const Repl *r)
{
    const char *k, *v;
    for (int i = 0; eddy_setting(r->e, i, &k, &v) == EDDY_OK; i++)
        if (strcmp(k, "sql-client.display.pager") == 0) return strcasecmp(v, "false") != 0;
    return true;
}

/* Whether a program called name is on the PATH. */
static bool on_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path || !*path) return false;
    StrBuf b = {0};
    bool found = false;
    for (const char *p = path; !found;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        b.len = 0;
        if (n) sb_putn(&b, p, n);
        else sb_putc(&b, '.');
        sb_printf(&b, "/%s", name);
        found = access(b.s, X_OK) == 0;
        if (!end) break;
        p = end + 1;
    }
    sb_free(&b);
    return found;
}

/* Through an external pager: false when it could not run (the caller then
 * uses the built-in one). */
static bool pager_external(const char *cmd, const char *text, size_t len)
{
    fflush(stdout);
    FILE *p = popen(cmd, "w");
    if (!p) return false;
    fwrite(text, 1, len, p);   /* a pager quit early: EPIPE (SIGPIPE is ignored), fine */
    int st = pclose(p);
    g_sigint = 0;               /* Ctrl-C in the pager is the pager's */
    drain_wake();
    return !(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127);   /* 127: the shell found no such command */
}

/* A key from the terminal, or -1 on Ctrl-C, SIGTERM or the end of input. */
static int read_key(void)
{
    for (;;) {
        if (g_sigint || g_sigterm) return -1;
        struct pollfd pf[2] = {{STDIN_FILENO, POLLIN, 0}, {g_wake[0], POLLIN, 0}};
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (pf[1].revents & POLLIN) drain_wake();
        if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        unsigned char c;
        ssize_t k = read(STDIN_FILENO, &c, 1);
        if (k == 1) return c;
        if (k == 0 || (errno != EINTR && errno != EAGAIN)) return -1;
    }
}

/* The built-in pager: a screen at a time. */
static void pager_builtin(const Repl *r, const char *text, size_t len)
{
    int rows, cols;
    term_size(&rows, &cols);
    int total = 0;
    for (size_t i = 0; i < len; i++) total += text[i] == '\n';
    if (len && text[len - 1] != '\n') total++;
    struct termios saved, t;
    bool raw = tcgetattr(STDIN_FILENO, &saved) == 0;
    if (raw) {
        t = saved;
        t.c_lflag &= ~(tcflag_t)(ECHO | ICANON);
        t.c_lflag |= ISIG;
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
    }
    size_t pos = 0;
    int shown = 0, want = rows - 1;
    while (pos < len) {
        while (pos < len && want > 0) {
            const char *nl = memchr(text + pos, '\n', len - pos);
            size_t end = nl ? (size_t)(nl - text) + 1 : len;
            fwrite(text + pos, 1, end - pos, stdout);
            if (!nl) fputc('\n', stdout);
            pos = end;
            shown++;
            want--;
        }
        if (pos >= len) break;
        fprintf(stdout, "%s--More-- (%d of %d lines; Space: next page, Enter: next line, q: quit)%s", r->color ? "\033[7m" : "",
                shown, total, r->color ? "\033[0m" : "");
        fflush(stdout);
        int c = read_key();
        fputs("\r\033[K", stdout);
        if (c < 0 || c == 'q' || c == 'Q') break;
        want = c == '\n' || c == '\r' ? 1 : rows - 1;
    }
    fflush(stdout);
    if (raw) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    g_sigint = 0;
}

void pager_show(Repl *r, const char *text, size_t len)
{
    int rows, cols;
    term_size(&rows, &cols);
    int lines = 0;
    for (size_t i = 0; i < len && lines < rows; i++) lines += text[i] == '\n';
    if (!r->interactive || lines < rows || !pager_enabled(r)) {
        fwrite(text, 1, len, stdout);
        fflush(stdout);
        return;
    }
    const char *cmd = getenv("EDDY_PAGER");
    if (!cmd) cmd = getenv("PAGER");
    if (cmd && !*cmd) {   /* PAGER='': no pager */
        fwrite(text, 1, len, stdout);
        fflush(stdout);
        return;
    }
    if (!cmd && on_path("less")) cmd = "less -FRX";
    if (cmd && pager_external(cmd, text, len)) return;
    pager_builtin(r, text, len);
}
