/*
 * registry.h — the Confluent Schema Registry: eddy's client (registry.c,
 * the only file that includes curl/curl.h) and its development server
 * (registry_server.c, the only file that includes microhttpd.h).
 *
 * The client speaks the REST subset a Kafka client needs: register a
 * schema under a subject (POST /subjects/{s}/versions), fetch a schema by
 * id (GET /schemas/ids/{id}, cached for the handle's life) and the latest
 * version of a subject (GET /subjects/{s}/versions/latest).  Subjects follow
 * the TopicNameStrategy: `<topic>-key` and `<topic>-value`.
 *
 * Conventions as in kafka.h: handles are opaque and used by one thread at
 * a time; functions return an int rc and write a one-line message into the
 * caller's buffer; nothing prints or keeps global state (libcurl's global
 * initialisation happens once, on first use).  _free accepts NULL.
 */
#ifndef EDDY_REGISTRY_H
#define EDDY_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

/* Results of look-ups: found, the registry says there is no such thing,
 * or the registry could not be asked (unreachable, a server error). */
enum { REG_OK = 0, REG_NOT_FOUND = 1, REG_ERROR = -1 };

typedef struct Registry Registry;

/* A client of the registry at url (http://host:port[/path]); no request is
 * made yet.  NULL with a message when the URL is not http(s). */
Registry   *registry_new(const char *url, char *err, size_t errlen);
void        registry_free(Registry *r);
const char *registry_url(const Registry *r);

/* Registers schema (Avro JSON) under subject and returns its global id
 * (the same id when the schema is already registered).  REG_OK or
 * REG_ERROR with the registry's reason (e.g. incompatible with the
 * subject's earlier versions). */
int registry_register(Registry *r, const char *subject, const char *schema, int32_t *id, char *err, size_t errlen);

/* The schema with this id; *schema stays valid until registry_free.
 * REG_OK, REG_NOT_FOUND (cached too: an id the registry does not know is
 * asked once), or REG_ERROR. */
int registry_schema_by_id(Registry *r, int32_t id, const char **schema, char *err, size_t errlen);

/* The latest version of subject: its id, version number and schema (the
 * caller frees *schema).  REG_OK, REG_NOT_FOUND or REG_ERROR. */
int registry_latest(Registry *r, const char *subject, int32_t *id, int32_t *version, char **schema, char *err, size_t errlen);

/* A CatalogProvider (catalog.h): the CREATE TABLE of topic `name` from the
 * latest schema of subject `<name>-value` at url — Flink's Avro → SQL
 * mapping, format 'avro-confluent'.  0 with *ddl (caller frees), 1 when
 * the subject does not exist, -1 with a message. */
int registry_table_ddl(const char *name, const char *url, char **ddl, char *err, size_t errlen);

/* ---- the development registry (registry_server.c) ------------------------ */

typedef struct RegistryServer RegistryServer;

/* Serves the registry REST API on 127.0.0.1 at a port the system picks,
 * from a thread of its own, with state in memory (or, when path is not
 * NULL, also in that file: loaded at start, appended to on every change).
 * Endpoints: POST /subjects/{s}/versions, POST /subjects/{s},
 * GET /subjects, GET /subjects/{s}/versions, GET /subjects/{s}/versions/{v}
 * (a number or 'latest', and …/schema), DELETE /subjects/{s},
 * GET /schemas/ids/{id} (and …/schema), GET /schemas/types,
 * GET|PUT /config[/{s}], POST /compatibility/subjects/{s}/versions/{v}.
 * Registering checks the subject's compatibility level (default
 * BACKWARD; NONE, FORWARD, FULL and *_TRANSITIVE as Confluent's). */
int         registry_server_start(const char *path, RegistryServer **out, char *err, size_t errlen);
/* The same on 127.0.0.1:port (0: a free port). */
int         registry_server_listen(const char *path, int port, RegistryServer **out, char *err, size_t errlen);
/* "http://127.0.0.1:PORT" */
const char *registry_server_url(const RegistryServer *s);
/* Stops serving and frees everything. */
void        registry_server_free(RegistryServer *s);
/* How many GET /schemas/ids/{id} requests it has answered (tests). */
long        registry_server_id_lookups(RegistryServer *s);

#endif
