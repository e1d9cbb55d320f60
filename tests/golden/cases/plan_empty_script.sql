-- pins: a script of comments only compiles to nothing (no error)
/* nothing to run */
