/* cspflow: the worker's output records. Every record caused by input
 * partition p goes to partition p of its topic (explicit partition, see
 * topics.c); keys are "<partner_id>/<customer_tenant_id>"; values are Avro
 * records framed by registry/serde.h (single-object, or the Confluent wire
 * format with registry.url: actions and audit; states stay single-object),
 * except the DLQ's, which are the input's bytes unchanged.
 *
 *  - actions: one record per output event, with the CloudEvents Kafka
 *    binding in binary mode as headers: ce_specversion "1.0", ce_id (the
 *    event_id), ce_source "urn:cspflow:<group>", ce_type
 *    "io.cspflow.migration.<type>", ce_time (occurred_at, ISO-8601),
 *    ce_subject (the key), content-type "application/avro".
 *  - audit: one AuditRecord per handled input (schemas/audit.h).
 *  - state: the migration's state record (compacted topic).
 *  - DLQ: the input's key and value as received, headers dlq_reason (the
 *    reject code), dlq_detail, dlq_source_topic, dlq_source_partition,
 *    dlq_source_offset (decimal strings).
 *
 * Produce errors: a full queue is waited out (serving delivery reports); a
 * fatal error is CF_KR_FATAL; any other immediate error CF_KR_ABORT (the
 * batch is aborted and rewound). Errors found later, in delivery reports,
 * come back from commit_transaction (EOS) or the flush (at-least-once).
 *
 * Ownership: cf_emit_t borrows the producer handle, the Avro codec and the
 * config for its lifetime; it owns one encode buffer and one audit record
 * it reuses, freed by cf_emit_clear(). Nothing else is kept. */
#ifndef CF_EMIT_H
#define CF_EMIT_H

#include <stdint.h>

#include "common/config.h"
#include "handlers/handlers.h"
#include "kafka.h"
#include "registry/serde.h"
#include "schemas/audit.h"
#include "schemas/avro_codec.h"

typedef struct cf_emit_s {
        rd_kafka_t *rk;
        cf_avro_t *av;
        cf_serde_t *serde; /**< borrowed; NULL: single-object (set by the
                                worker after cf_emit_init) */
        const cf_config_t *cfg;
        char ce_source[CF_ID_MAX + 16];
        cf_buf_t buf;
        cf_audit_t audit;
        uint64_t records; /**< records handed to librdkafka */
} cf_emit_t;

void cf_emit_init(cf_emit_t *e, rd_kafka_t *rk, cf_avro_t *av,
                  const cf_config_t *cfg);
void cf_emit_clear(cf_emit_t *e);

/** One output event of input partition p to the actions topic. */
cf_kres_t cf_emit_action(cf_emit_t *e, int32_t partition, const cf_event_t *ev,
                         char *errstr, size_t errstr_size);

/** The state record of m to the state topic. */
cf_kres_t cf_emit_state(cf_emit_t *e, int32_t partition,
                        const cf_migration_t *m, char *errstr,
                        size_t errstr_size);

/** The input in as received to the DLQ, with its reason. */
cf_kres_t cf_emit_dlq(cf_emit_t *e, const rd_kafka_message_t *in,
                      cf_reject_t reason, const char *detail, char *errstr,
                      size_t errstr_size);

/** The audit record of input in. ev is the decoded input, NULL when it
 *  could not be decoded; v the verdict (for a decoding failure: REJECTED
 *  with its reason, rule 13); out the outputs when APPLIED (else NULL). */
cf_kres_t cf_emit_audit(cf_emit_t *e, const rd_kafka_message_t *in,
                        const cf_event_t *ev, const cf_verdict_t *v,
                        const cf_outbox_t *out, char *errstr,
                        size_t errstr_size);

/** Fills a (reset first) with the audit record cf_emit_audit() sends for
 *  the input at partition/offset whose record key is key/key_len (used
 *  when ev is NULL, and for an APPLIED verdict, whose record key the
 *  caller has found equal to the event's with cf_input_check; may be
 *  NULL: the key then comes from ev). False when the outputs are over the
 *  record's caps. Touches no Kafka handle (bench/codec_bench.c calls it to
 *  cost the audit record without a broker). */
bool cf_emit_audit_fill(cf_audit_t *a, int32_t partition, int64_t offset,
                        const void *key, size_t key_len, const cf_event_t *ev,
                        const cf_verdict_t *v, const cf_outbox_t *out);

#endif
