// Why: webhook endpoints, one delivery row per (endpoint, event) written with the event, an attempt
// log, and the event-retention watermark that lets a WebSocket replay say when history was pruned.
import type { Kysely } from 'kysely'
import { runSqlScript } from '../sql-script.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    CREATE TABLE webhook_endpoint (
      id text PRIMARY KEY,
      merchant_id bigint NOT NULL REFERENCES merchant(id),
      url text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
      description text CHECK (description IS NULL OR length(description) <= 255),
      enabled_events text[] NOT NULL CHECK (cardinality(enabled_events) BETWEEN 1 AND 50),
      environment text CHECK (environment IN ('devnet', 'mainnet')),
      status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
      disabled_reason text,
      secret text NOT NULL,
      previous_secret text,
      previous_secret_expires_at timestamptz,
      failing_since timestamptz,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX webhook_endpoint_merchant ON webhook_endpoint (merchant_id, id) WHERE deleted_at IS NULL;
    -- the fan-out in appendEvent looks up a merchant's enabled endpoints on every event
    CREATE INDEX webhook_endpoint_fanout ON webhook_endpoint (merchant_id) WHERE status = 'enabled' AND deleted_at IS NULL;

    CREATE TABLE webhook_delivery (
      id text PRIMARY KEY,
      endpoint_id text NOT NULL REFERENCES webhook_endpoint(id),
      merchant_id bigint NOT NULL REFERENCES merchant(id),
      event_seq bigint NOT NULL REFERENCES event(seq) ON DELETE CASCADE,
      event_id text NOT NULL,
      event_type text NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
      attempt_count integer NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
      -- null while the endpoint is disabled (paused); due rows are claimed in this order
      next_attempt_at timestamptz,
      -- start of the current retry window (creation, manual retry or re-enable); null = created_at
      window_started_at timestamptz,
      lease_id text,
      last_attempt_at timestamptz,
      last_status_code integer,
      last_error text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      completed_at timestamptz,
      UNIQUE (endpoint_id, event_seq)
    );
    -- the worker's claim: due pending rows in schedule order
    CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status = 'pending';
    -- pending_webhooks of an event counts its undelivered rows
    CREATE INDEX webhook_delivery_undelivered ON webhook_delivery (event_seq) WHERE status IN ('pending', 'failed');
    CREATE INDEX webhook_delivery_merchant ON webhook_delivery (merchant_id, id DESC);
    CREATE INDEX webhook_delivery_endpoint ON webhook_delivery (endpoint_id, id DESC);

    CREATE TABLE webhook_attempt (
      id bigserial PRIMARY KEY,
      delivery_id text NOT NULL REFERENCES webhook_delivery(id) ON DELETE CASCADE,
      attempt integer NOT NULL CHECK (attempt >= 1),
      started_at timestamptz NOT NULL,
      duration_ms integer NOT NULL CHECK (duration_ms >= 0),
      outcome text NOT NULL CHECK (outcome IN ('succeeded', 'http_error', 'timeout', 'network_error', 'blocked')),
      status_code integer,
      error text,
      response_excerpt text,
      UNIQUE (delivery_id, attempt)
    );

    -- one row: every event with seq <= pruned_through_seq may have been removed by retention
    CREATE TABLE event_retention (
      id integer PRIMARY KEY CHECK (id = 1),
      pruned_through_seq bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL
    );
    INSERT INTO event_retention (id, pruned_through_seq, updated_at) VALUES (1, 0, now());
    CREATE INDEX event_created ON event (created_at);
  `,
  )
}
