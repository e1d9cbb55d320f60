/*
 * repl_util.c — small things every file of the SQL shell uses: the signal
 * flags and the wake-up pipe that every wait polls, starting threads that
 * leave signals to the main thread, text widths for a terminal, and a list
 * of strings.  Nothing here knows SQL or jobs.
 */
#include "repl_shared.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Signals: flags plus a self-pipe that wakes every wait.              */

volatile sig_atomic_t g_sigint;
volatile sig_atomic_t g_sigterm;
volatile sig_atomic_t g_winch;
int g_wake[2] = {-1, -1};

void wake(void)
{
    if (g_wake[1] >= 0) {
        char c = 0;
        ssize_t n = write(g_wake[1], &c, 1);
        (void)n;   /* a full pipe already wakes the reader */
    }
}

static void on_signal(int sig)
{
    int saved = errno;
    if (sig == SIGINT) g_sigint = 1;
    else if (sig == SIGWINCH) g_winch = 1;
    else g_sigterm = 1;
    wake();
    errno = saved;
}

void drain_wake(void)
{
    char buf[64];
    while (read(g_wake[0], buf, sizeof buf) > 0) {
    }
}

void install_signals(void)
{
    if (pipe(g_wake) == 0) {
        for (int i = 0; i < 2; i++) {
            fcntl(g_wake[i], F_SETFL, fcntl(g_wake[i], F_GETFL) | O_NONBLOCK);
            fcntl(g_wake[i], F_SETFD, FD_CLOEXEC);
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;   /* no SA_RESTART: a blocking read returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGWINCH, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);    /* a closed stdout is noticed with ferror, and jobs still stop cleanly */
}

void block_async_signals(sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGHUP);
    sigaddset(&s, SIGWINCH);
    sigaddset(&s, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, old);
}

void restore_signals(const sigset_t *old) { pthread_sigmask(SIG_SETMASK, old, NULL); }

int spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t old;
    block_async_signals(&old);
    int rc = pthread_create(t, NULL, fn, arg);
    restore_signals(&old);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) abort();
    return p;
}

char *trim(char *s, bool semi)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && (isspace((unsigned char)s[n - 1]) || (semi && s[n - 1] == ';'))) s[--n] = 0;
    return s;
}

bool is_ident_char(int c) { return isalnum(c) || c == '_' || c == '$'; }

/* One column per code point: good enough for the names and values eddy shows. */
int text_cols(const char *s, size_t n)
{
    int w = 0;
    for (size_t i = 0; i < n; i++) w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

const char *g_ellipsis = "~";

void put_fit(StrBuf *b, const char *s, size_t n, int w, bool right)
{
    int cols = text_cols(s, n);
    if (cols <= w) {
        if (right)
            for (int i = cols; i < w; i++) sb_putc(b, ' ');
        sb_putn(b, s, n);
        if (!right)
            for (int i = cols; i < w; i++) sb_putc(b, ' ');
        return;
    }
    if (w <= 0) return;
    size_t i = 0;
    int c = 0;
    while (i < n) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == w - 1) break;
            c++;
        }
        i++;
    }
    sb_putn(b, s, i);
    sb_puts(b, g_ellipsis);
}

void put_line(StrBuf *out, const char *s, size_t n, int w)
{
    if (text_cols(s, n) <= w) sb_putn(out, s, n);
    else put_fit(out, s, n, w, false);
    sb_putc(out, '\n');
}

void term_size(int *rows, int *cols)
{
    struct winsize ws;
    *rows = 24;
    *cols = 80;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
        *rows = ws.ws_row;
        *cols = ws.ws_col;
    }
}

const char *group_digits(char *buf, size_t cap, int64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)(v < 0 ? -v : v));
    size_t o = 0;
    if (v < 0 && o + 1 < cap) buf[o++] = '-';
    for (int i = 0; i < n && o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

void strlist_add(StrList *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = xrealloc(l->v, sizeof *l->v * (size_t)l->cap);
    }
    l->v[l->n++] = str_dup(s);
}

void strlist_free(StrList *l)
{
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

bool strlist_has(const StrList *l, const char *s)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0) return true;
    return false;
}
