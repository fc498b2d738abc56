/* endpoint: the HTTP server a source talks to, read once from its config
 * and used for every request. One place reads the keys the sources that talk
 * to one server share (prometheus, alertmanager, loki, the checks' http),
 * with the same names, limits and defaults everywhere. The cdn source talks
 * to an origin and several edges, and its API providers to their own hosts:
 * it reads "timeout_seconds" and "insecure" itself (backends/cdn.c), and each
 * provider its URLs (cdn_config_url, backends/cdn-api.c) and its token
 * ("token_env"/"token_file", backends/cloudflare.c, fastly.c, cdnhttp.c),
 * with the same names and limits, not through this module.
 *
 *   "url"              required, http:// or https://; trailing '/' dropped,
 *                      a path prefix (https://host/prometheus) kept
 *   "timeout_seconds"  0.1..300, default 10: the whole request; connecting
 *                      is limited to the smaller of this and 3 s
 *   "insecure"         default false: skip TLS verification (the source
 *                      shows endpoint_warning)
 *   "username"         basic-auth user, used only together with a token
 *   "token_env" / "token_file"  the secret: a bearer token, or with
 *                      "username" the basic-auth password
 *
 * The secret stays inside: it is handed to the HTTP client per request
 * (which keeps it out of error text), never returned, never in a message
 * this module writes, and wiped when the endpoint is freed. */
#ifndef SITREP_ENDPOINT_H
#define SITREP_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "sitrep/core/config.h"
#include "sitrep/io/http.h"

struct endpoint;

/* Reads the keys above from obj (marking them read for the unknown-key
 * check). No I/O but the token file: also run by --check-config. 0 with *out
 * a new endpoint (free with endpoint_free), or -1 with ctx->err set at the
 * offending key and *out NULL. */
int endpoint_read(struct config_ctx *ctx, struct jnode *obj, struct endpoint **out);
/* Wipes the secret and frees; NULL is fine. */
void endpoint_free(struct endpoint *ep);

/* The base URL, without a trailing '/'. Valid while ep lives. */
const char *endpoint_base(const struct endpoint *ep);
/* The base URL fit to show: a password written in it ("http://u:p@host")
 * replaced by "***". Valid while ep lives. */
const char *endpoint_display(const struct endpoint *ep);
/* "TLS verify off" when "insecure" is set, else NULL; for source_set_warning. */
const char *endpoint_warning(const struct endpoint *ep);

/* Sets what the endpoint decides in req: timeouts, TLS verification and
 * credentials. The url, method, body and headers stay the caller's. req then
 * points at the endpoint's secret: use it before ep is freed. */
void endpoint_prepare(const struct endpoint *ep, struct http_req *req);

/* A new string: the base URL followed by path_and_query ("/api/v2/alerts?x=1").
 * Caller frees. */
char *endpoint_url(const struct endpoint *ep, const char *path_and_query);

/* Starts a request for base + path_and_query on h. req may be NULL (a plain
 * GET) or carry the method, body and headers; its url and transport fields are
 * set here. The result and callback are those of http_request. */
struct http_call *endpoint_request(const struct endpoint *ep, struct http *h, const char *path_and_query,
                                   const struct http_req *req, http_done_cb cb, void *arg);

/* "POST https://host/api/v2/silences (bearer token)": what a request will
 * do, credentials named but never shown; for the confirm dialog and the audit
 * log. Caller frees. */
char *endpoint_describe(const struct endpoint *ep, const char *method, const char *path_and_query);

#endif
