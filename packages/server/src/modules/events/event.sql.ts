import { sql, type RawBuilder } from 'kysely'

/**
 * The common tail of every event insert, as two CTEs to follow the caller's own `s` CTE:
 * `ev` inserts the events and `d` fans each one out to the merchant's enabled webhook
 * endpoints whose `enabled_events` match (test.ping goes only to the endpoint tested).
 *
 * `s` must provide: seq (drawn with nextval after the transaction's xid was taken, so that the
 * realtime tail's gap check covers the insert), merchant_id, environment, type, is_commerce,
 * invoice_id, invoice_type, customer_id, order_id, wallet_address, wallet_network, data (json
 * text) and request (json text or null). `ev` returns seq, id, merchant_id, environment, type.
 */
export function eventInsertCtes(now: Date): RawBuilder<unknown> {
  return sql`
    ev AS (
      INSERT INTO event (seq, id, merchant_id, environment, type, is_commerce, invoice_id, invoice_type,
                         customer_id, order_id, wallet_address, wallet_network, created_at, data, request)
      SELECT s.seq, 'evt_' || ${now.getTime()}::text || '-' || s.seq::text, s.merchant_id, s.environment, s.type, s.is_commerce,
             s.invoice_id, s.invoice_type, s.customer_id, s.order_id, s.wallet_address, s.wallet_network, ${now}::timestamptz,
             s.data::json, s.request::json
      FROM s
      RETURNING seq, id, merchant_id, environment, type
    ),
    d AS (
      INSERT INTO webhook_delivery (id, endpoint_id, merchant_id, event_seq, event_id, event_type, status,
                                    next_attempt_at, created_at, updated_at)
      SELECT 'wd_' || lpad(to_hex(ev.seq), 12, '0') || substr(md5(e.id), 1, 12), e.id, ev.merchant_id, ev.seq, ev.id,
             ev.type, 'pending', ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz
      FROM ev JOIN webhook_endpoint e ON e.merchant_id = ev.merchant_id
      WHERE e.status = 'enabled' AND e.deleted_at IS NULL AND ev.type <> 'test.ping'
        AND (e.environment IS NULL OR e.environment = ev.environment)
        AND EXISTS (SELECT 1 FROM unnest(e.enabled_events) p
                    WHERE p = '*' OR p = ev.type OR (right(p, 2) = '.*' AND starts_with(ev.type, left(p, -1))))
    )`
}
